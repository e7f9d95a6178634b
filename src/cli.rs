//! Command-line parsing shared by every binary.
//!
//! Each binary is thin: it describes its options, asks for their values and
//! calls into its chapter's module. The rules are the same everywhere:
//!
//! * `--help` (or `-h`) prints the usage and exits 0;
//! * an unknown option, a missing or malformed value, or a missing positional
//!   argument prints `PROG: error: …` plus a hint and exits **2**;
//! * options take their value as `--name VALUE` or `--name=VALUE`;
//! * servers print exactly one line, `listening on http://HOST:PORT`, once
//!   bound ([`announce`]), so scripts and tests can wait for it.
//!
//! ```no_run
//! use wirebook::cli::Args;
//! let mut args = Args::from_env("ch02_hello", "Answers GET / with Hello, world.", "[--addr HOST:PORT] [--trace]");
//! let addr = args.addr("127.0.0.1:8888");
//! let trace = args.flag("--trace");
//! args.finish();
//! ```

use std::fmt::Display;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::process;
use std::str::FromStr;
use std::time::Duration;

/// Exit code for a bad command line (the convention of BSD's `sysexits` and
/// of most Unix tools: 2 means "you called me wrong").
pub const EXIT_USAGE: i32 = 2;

/// The arguments of one run, consumed option by option.
pub struct Args {
    prog: String,
    about: String,
    usage: String,
    options_help: Vec<String>,
    raw: Vec<Option<String>>,
    positionals_taken: usize,
}

impl Args {
    /// Reads `std::env::args()`; prints help and exits on `--help`.
    pub fn from_env(prog: &str, about: &str, usage: &str) -> Args {
        Args::new(prog, about, usage, std::env::args().skip(1).collect())
    }

    /// The same over an explicit list (for tests).
    pub fn new(prog: &str, about: &str, usage: &str, args: Vec<String>) -> Args {
        Args {
            prog: prog.to_string(),
            about: about.to_string(),
            usage: usage.to_string(),
            options_help: Vec::new(),
            raw: args.into_iter().map(Some).collect(),
            positionals_taken: 0,
        }
    }

    fn help_text(&self) -> String {
        let mut s = format!(
            "{}\n\nUsage: {} {}\n",
            self.about.trim_end(),
            self.prog,
            self.usage
        );
        // Each described line is "OPTION  explanation" (two spaces or more
        // between them); the explanations line up in one column, wide enough
        // for the longest option, whatever spacing each caller used.
        let help = ("-h, --help", "print this help and exit");
        let rows: Vec<(&str, &str)> = self
            .options_help
            .iter()
            .map(|line| match line.find("  ") {
                Some(i) => (&line[..i], line[i..].trim_start()),
                None => (line.as_str(), ""),
            })
            .chain(std::iter::once(help))
            .collect();
        let width = rows.iter().map(|(opt, _)| opt.len()).max().unwrap_or(0) + 2;
        let width = width.max(21);
        s.push_str("\nOptions:\n");
        for (opt, text) in rows {
            s.push_str(format!("  {opt:width$}{text}").trim_end());
            s.push('\n');
        }
        s
    }

    /// Adds a line to the `Options:` section of `--help`: the option, two
    /// spaces or more, and what it does (the help text lines these up).
    /// Call it for each option before [`Args::finish`] (or before the first
    /// error) so the help is complete.
    pub fn describe(&mut self, line: &str) -> &mut Self {
        self.options_help.push(line.to_string());
        self
    }

    /// Prints `PROG: error: MSG` and the usage line, and exits 2.
    pub fn fail(&self, msg: impl Display) -> ! {
        eprintln!("{}: error: {}", self.prog, msg);
        eprintln!("usage: {} {}", self.prog, self.usage);
        eprintln!("(run `{} --help` for more)", self.prog);
        process::exit(EXIT_USAGE)
    }

    fn wants_help(&self) -> bool {
        self.raw
            .iter()
            .flatten()
            .take_while(|a| a.as_str() != "--")
            .any(|a| a == "--help" || a == "-h")
    }

    /// `true` if the boolean flag `name` (e.g. `--trace`) was given.
    pub fn flag(&mut self, name: &str) -> bool {
        let mut found = false;
        for slot in self.raw.iter_mut() {
            match slot.as_deref() {
                Some("--") => break,
                Some(a) if a == name => {
                    *slot = None;
                    found = true;
                }
                Some(a) if a.starts_with(name) && a[name.len()..].starts_with('=') => {
                    let a = a.to_string();
                    self.fail(format!("{name} takes no value (got `{a}`)"));
                }
                _ => {}
            }
        }
        found
    }

    /// The value of option `name`, if given (the last one wins).
    pub fn value(&mut self, name: &str) -> Option<String> {
        let mut found = None;
        let mut i = 0;
        while i < self.raw.len() {
            match self.raw[i].clone() {
                Some(a) if a == "--" => break,
                Some(a) if a == name => {
                    self.raw[i] = None;
                    match self.raw.get_mut(i + 1).and_then(|s| s.take()) {
                        Some(v) => found = Some(v),
                        None => self.fail(format!("{name} needs a value")),
                    }
                    i += 1;
                }
                Some(a) if a.starts_with(name) && a[name.len()..].starts_with('=') => {
                    self.raw[i] = None;
                    found = Some(a[name.len() + 1..].to_string());
                }
                _ => {}
            }
            i += 1;
        }
        found
    }

    /// The value of option `name` parsed as `T`, or `default` when absent.
    /// A value that does not parse is a usage error (exit 2).
    pub fn parsed<T: FromStr>(&mut self, name: &str, default: T) -> T
    where
        T::Err: Display,
    {
        self.parsed_opt(name).unwrap_or(default)
    }

    /// [`Args::parsed`] without a default: `None` when absent.
    pub fn parsed_opt<T: FromStr>(&mut self, name: &str) -> Option<T>
    where
        T::Err: Display,
    {
        let v = self.value(name)?;
        match v.parse() {
            Ok(x) => Some(x),
            Err(e) => self.fail(format!("invalid value `{v}` for {name}: {e}")),
        }
    }

    /// A duration ([`parse_duration`]: `5`, `0.3`, `250ms`, `2s`), or
    /// `default` when absent. Zero, negative, tiny or absurd values are a
    /// usage error (a zero timeout would mean "no timeout" to `std::net`).
    pub fn duration(&mut self, name: &str, default: Duration) -> Duration {
        self.duration_opt(name).unwrap_or(default)
    }

    /// [`Args::duration`] for a flag whose absence means something of its
    /// own (not one default value): `None` when absent.
    pub fn duration_opt(&mut self, name: &str) -> Option<Duration> {
        let v = self.value(name)?;
        match parse_duration(&v) {
            Ok(d) => Some(d),
            Err(e) => self.fail(format!("invalid value for {name}: {e}")),
        }
    }

    /// `--addr HOST:PORT`, resolved to one socket address. Port 0 asks the
    /// kernel for a free port.
    pub fn addr(&mut self, default: &str) -> SocketAddr {
        let v = self.value("--addr").unwrap_or_else(|| default.to_string());
        match resolve_addr(&v) {
            Ok(a) => a,
            Err(e) => self.fail(format!("invalid value `{v}` for --addr: {e}")),
        }
    }

    /// The next positional argument, or a usage error naming `what`.
    pub fn positional(&mut self, what: &str) -> String {
        match self.next_positional() {
            Some(v) => v,
            None => self.fail(format!("missing argument {what}")),
        }
    }

    /// The next positional argument, if any. Options (anything starting with
    /// `-` other than `-` itself) are never taken as positionals; after `--`
    /// everything is positional.
    pub fn next_positional(&mut self) -> Option<String> {
        let mut after_dashes = false;
        for slot in self.raw.iter_mut() {
            match slot.as_deref() {
                None => {}
                Some("--") if !after_dashes => after_dashes = true,
                Some(a) if after_dashes || a == "-" || !a.starts_with('-') => {
                    self.positionals_taken += 1;
                    return slot.take();
                }
                Some(_) => {}
            }
        }
        None
    }

    /// Ends parsing: prints help and exits 0 on `--help`; exits 2 on anything
    /// left over (an unknown option or an unexpected argument).
    pub fn finish(self) {
        if self.wants_help() {
            print!("{}", self.help_text());
            process::exit(0);
        }
        let mut left = self.raw.iter().flatten().filter(|a| a.as_str() != "--");
        if let Some(a) = left.next() {
            if a.starts_with('-') && a != "-" {
                self.fail(format!("unknown option `{a}`"));
            } else {
                self.fail(format!("unexpected argument `{a}`"));
            }
        }
    }

    /// Like [`Args::finish`], but checks `--help` first: call this *before*
    /// taking required positionals so that `PROG --help` never complains
    /// about a missing argument.
    pub fn help_requested(&self) -> bool {
        self.wants_help()
    }

    /// Prints the help and exits 0 if `--help` was given.
    pub fn handle_help(&self) {
        if self.wants_help() {
            print!("{}", self.help_text());
            process::exit(0);
        }
    }
}

/// Resolves `HOST:PORT` (a literal like `127.0.0.1:0`, `[::1]:8080`, or a name
/// like `localhost:8888`) to its first socket address.
pub fn resolve_addr(s: &str) -> Result<SocketAddr, String> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    if !s.contains(':') {
        return Err("expected HOST:PORT".to_string());
    }
    match s.to_socket_addrs() {
        Ok(mut it) => it.next().ok_or_else(|| "name has no addresses".to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// Prints the one line that says a server is ready, with the real port (so
/// `--addr 127.0.0.1:0` tells the caller which port the kernel chose), and
/// flushes stdout so a pipe sees it at once.
pub fn announce(listener: &TcpListener) {
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    announce_addr("http", addr);
}

/// [`announce`] for a scheme other than `http` (the UDP echo server says
/// `listening on udp://…`).
pub fn announce_addr(scheme: &str, addr: SocketAddr) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "listening on {scheme}://{addr}");
    let _ = out.flush();
}

/// Binds a TCP listener or exits 1 with a clear message (address in use,
/// permission denied...).
pub fn bind_or_exit(prog: &str, addr: SocketAddr) -> TcpListener {
    match TcpListener::bind(addr) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{prog}: error: cannot listen on {addr}: {e}");
            process::exit(1)
        }
    }
}

/// The shortest duration a flag accepts: below it, a timeout is a typo
/// (and below a nanosecond, zero).
pub const MIN_DURATION: Duration = Duration::from_millis(1);
/// The longest: about eleven days.
pub const MAX_DURATION: Duration = Duration::from_secs(1_000_000);

/// Parses a duration in seconds (`5`, `0.25`) or with a unit (`250ms`,
/// `2s`), between [`MIN_DURATION`] and [`MAX_DURATION`].
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else {
        (s, 1.0)
    };
    let secs = num.trim().parse::<f64>().ok().map(|v| v * scale);
    match secs {
        Some(v)
            if v.is_finite()
                && v >= MIN_DURATION.as_secs_f64()
                && v < MAX_DURATION.as_secs_f64() =>
        {
            Ok(Duration::from_secs_f64(v))
        }
        _ => Err(format!(
            "`{s}` is not a duration from 1ms to 1000000s (seconds, or e.g. 250ms)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Args {
        Args::new("t", "test", "", v.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn options_in_both_spellings() {
        let mut a = args(&["--addr", "127.0.0.1:1", "--threads=4", "--trace", "x"]);
        assert_eq!(a.value("--addr").as_deref(), Some("127.0.0.1:1"));
        assert_eq!(a.parsed("--threads", 1usize), 4);
        assert!(a.flag("--trace"));
        assert!(!a.flag("--quiet"));
        assert_eq!(a.next_positional().as_deref(), Some("x"));
        assert_eq!(a.next_positional(), None);
    }

    #[test]
    fn help_lines_up_every_explanation() {
        let mut a = args(&[]);
        a.describe("--addr HOST:PORT      where to listen")
            .describe("--request-timeout SECS  longest time for a request")
            .describe("--quiet  no log");
        let help = a.help_text();
        let columns: Vec<usize> = help
            .lines()
            .skip_while(|l| *l != "Options:")
            .skip(1)
            .map(|l| {
                let after_option = &l[2..][l[2..].find("  ").unwrap()..];
                l.len() - after_option.trim_start().len()
            })
            .collect();
        assert_eq!(columns.len(), 4, "{help}");
        assert!(columns.iter().all(|&c| c == columns[0]), "{help}");
    }

    #[test]
    fn durations_in_seconds_or_with_a_unit_and_never_zero() {
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("0.25"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        for bad in [
            "0", "-1", "1e-10", "0.5ms", "inf", "NaN", "1e20", "soon", "", "ms",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn double_dash_ends_options() {
        let mut a = args(&["--", "--not-an-option"]);
        assert_eq!(a.next_positional().as_deref(), Some("--not-an-option"));
    }

    #[test]
    fn resolves_literals_and_names() {
        assert_eq!(
            resolve_addr("127.0.0.1:0").unwrap(),
            "127.0.0.1:0".parse().unwrap()
        );
        assert!(resolve_addr("[::1]:80").is_ok());
        assert!(resolve_addr("nonsense").is_err());
    }
}
