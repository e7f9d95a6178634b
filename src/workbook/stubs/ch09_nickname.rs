//! Exercise ch09_nickname: which nicknames a chat accepts.
//! Reread chapters/09-capstone.md, "Limits".
//! The reference is `valid_nick` in src/ch09_capstone/room.rs.

use crate::ch09_capstone::room::JoinError;

/// Trims `wanted` (Unicode whitespace at both ends) and checks it:
/// `Err(JoinError::BadNick(why))` if it is empty, longer than `max_chars`
/// characters (characters, not bytes: `é` is one), or contains a control
/// character or an invisible formatting character that could impersonate
/// another member: bidirectional overrides and isolates (U+202A–202E,
/// U+2066–2069), zero-width spaces and joiners (U+200B–200F, U+2060–2064),
/// the soft hyphen U+00AD, the BOM U+FEFF (and their neighbours: see the
/// reference's list). Letters of right-to-left scripts are fine.
pub fn valid_nick(wanted: &str, max_chars: usize) -> Result<&str, JoinError> {
    todo!("check the nickname {wanted:?} (at most {max_chars} characters)")
}
