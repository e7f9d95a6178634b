//! Writing a file so that it appears whole or not at all.
//!
//! The tutorial's download builds the file's content in memory and then
//! writes `output.zip`. A crash, a dropped connection or a Ctrl-C part-way
//! leaves either nothing or a truncated file *under the real name*, which
//! the next program happily opens. The fix every careful tool uses
//! (browsers' `.crdownload`, `wget`, `rsync`, package managers):
//!
//! 1. write to a temporary file **in the target's directory** (a rename is
//!    only atomic within one file system);
//! 2. when every byte has arrived and the length matched, `fsync` it, so
//!    the data is on disk before the name points at it;
//! 3. `rename` it over the target (atomic: readers see the old file or the
//!    new one, never half of one), then `fsync` the directory so the rename
//!    itself survives a power cut.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A file being written under a temporary name.
///
/// Dropped without [`PartFile::commit`], it is deleted, unless it was made
/// with [`PartFile::resumable`], which keeps it for a later `--continue`.
#[derive(Debug)]
pub struct PartFile {
    file: File,
    path: PathBuf,
    keep_on_drop: bool,
    done: bool,
}

impl PartFile {
    /// A new, uniquely named hidden file `.NAME.XXXXXXXX.part` in `dir`,
    /// deleted on drop. For uploads: two clients uploading the same name at
    /// once each get their own temporary file, and the last rename wins.
    pub fn unique_in(dir: &Path, name: &str) -> io::Result<PartFile> {
        let mut rng = crate::rng::Rng::new();
        for _ in 0..16 {
            let path = dir.join(format!(".{name}.{}.part", rng.word(8)));
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => {
                    return Ok(PartFile {
                        file,
                        path,
                        keep_on_drop: false,
                        done: false,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "no free temporary name",
        ))
    }

    /// The file `path` (normally `TARGET.part`), kept on drop so that an
    /// interrupted download can be resumed. `append` keeps what is there;
    /// otherwise it is truncated.
    ///
    /// A symlink at `path` is refused, not followed: in a directory others
    /// can write to (`/tmp`), someone could plant `TARGET.part` as a link
    /// to one of our files, and the download would overwrite it.
    pub fn resumable(path: PathBuf, append: bool) -> io::Result<PartFile> {
        let file = open_own(&path, append)?;
        Ok(PartFile {
            file,
            path,
            keep_on_drop: true,
            done: false,
        })
    }

    /// Where the bytes are going meanwhile.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes in the file so far.
    pub fn len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    pub fn is_empty(&self) -> io::Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Makes the file durable and gives it its real name, atomically.
    pub fn commit(mut self, target: &Path) -> io::Result<()> {
        self.file.flush()?;
        self.file.sync_all()?;
        fs::rename(&self.path, target)?;
        self.done = true;
        sync_parent_dir(target);
        Ok(())
    }
}

/// `O_NOFOLLOW` (Linux): arm and arm64 number it differently from the
/// generic value that x86-64 and RISC-V use.
#[cfg(any(target_arch = "aarch64", target_arch = "arm"))]
pub const O_NOFOLLOW: i32 = 0o100000;
#[cfg(not(any(target_arch = "aarch64", target_arch = "arm")))]
pub const O_NOFOLLOW: i32 = 0o400000;

/// Opens `path` for writing (appending, or truncating), creating it if
/// missing, but never through a symlink: a link there fails with `ELOOP`,
/// reported as such.
pub fn open_own(path: &Path, append: bool) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut o = OpenOptions::new();
    o.create(true).custom_flags(O_NOFOLLOW);
    if append {
        o.append(true);
    } else {
        o.write(true).truncate(true);
    }
    o.open(path).map_err(|e| {
        if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            io::Error::new(
                e.kind(),
                format!(
                    "{} is a symlink; refusing to write through it",
                    path.display()
                ),
            )
        } else {
            e
        }
    })
}

/// `fsync` of the directory holding `path`, so a rename in it is durable.
/// Best effort: some file systems refuse to sync a directory.
pub fn sync_parent_dir(path: &Path) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

impl Write for PartFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if !self.done && !self.keep_on_drop {
            let _ = fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::TempDir;

    #[test]
    fn unique_part_is_deleted_unless_committed() {
        let t = TempDir::new("part");
        {
            let mut p = PartFile::unique_in(&t.path, "a.txt").unwrap();
            p.write_all(b"half").unwrap();
            assert!(p.path().exists());
        }
        assert_eq!(fs::read_dir(&t.path).unwrap().count(), 0);
        let mut p = PartFile::unique_in(&t.path, "a.txt").unwrap();
        p.write_all(b"whole").unwrap();
        p.commit(&t.join("a.txt")).unwrap();
        assert_eq!(fs::read(t.join("a.txt")).unwrap(), b"whole");
        assert_eq!(fs::read_dir(&t.path).unwrap().count(), 1);
    }

    #[test]
    fn resumable_part_survives_and_appends() {
        let t = TempDir::new("part");
        let part = t.join("f.part");
        {
            let mut p = PartFile::resumable(part.clone(), false).unwrap();
            p.write_all(b"abc").unwrap();
        }
        let mut p = PartFile::resumable(part.clone(), true).unwrap();
        assert_eq!(p.len().unwrap(), 3);
        p.write_all(b"def").unwrap();
        p.commit(&t.join("f")).unwrap();
        assert_eq!(fs::read(t.join("f")).unwrap(), b"abcdef");
        assert!(!part.exists());
    }
}
