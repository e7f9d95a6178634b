//! What the figures were measured on: the CPU, the kernel, and the version
//! of every tool and peer. Figures without these cannot be compared.

use std::fs;
use std::process::Command;

/// One `name: value` line of the report's machine section.
pub type Fact = (String, String);

/// The first line a command prints (stdout, else stderr), or `missing`.
fn version_of(program: &str, args: &[&str]) -> String {
    match Command::new(program).args(args).output() {
        Ok(out) => {
            let text = if out.stdout.is_empty() {
                out.stderr
            } else {
                out.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        }
        Err(_) => "missing".to_string(),
    }
}

/// `wrk debian/4.1.0-3 [epoll] Copyright...` → `debian/4.1.0-3 [epoll]`.
fn short(version: &str, prefix: &str) -> String {
    let v = version.strip_prefix(prefix).unwrap_or(version);
    v.split(" Copyright").next().unwrap_or(v).trim().to_string()
}

/// The CPU's model name from `/proc/cpuinfo`.
pub fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
}

/// The version `Cargo.lock` pins for `package`.
pub fn locked_version(lock: &str, package: &str) -> Option<String> {
    let name = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    lines.find(|l| l.trim() == name)?;
    let v = lines.next()?.trim().strip_prefix("version = ")?;
    Some(v.trim_matches('"').to_string())
}

/// Everything the report says about the machine. `python` runs Tornado.
pub fn describe(python: &str, nginx: &str) -> Vec<Fact> {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mem = fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = mem
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or("?".into(), |kib| {
            format!("{:.1} GiB", kib / 1024.0 / 1024.0)
        });
    let lock = fs::read_to_string("Cargo.lock").unwrap_or_default();
    let crate_version = |p: &str| locked_version(&lock, p).unwrap_or_else(|| "?".into());
    let tornado = version_of(python, &["-c", "import tornado; print(tornado.version)"]);
    let fact = |k: &str, v: String| (k.to_string(), v);
    vec![
        fact("CPU", cpu_model(&cpuinfo).unwrap_or_else(|| "?".into())),
        fact("cores", cores.to_string()),
        fact("memory", mem_gib),
        fact("kernel", format!("Linux {}", kernel.trim())),
        fact("rustc", version_of("rustc", &["--version"])),
        fact("wrk", short(&version_of("wrk", &["-v"]), "wrk ")),
        fact(
            "nginx",
            short(&version_of(nginx, &["-v"]), "nginx version: nginx/"),
        ),
        fact("Python", version_of(python, &["--version"])),
        fact(
            "Tornado",
            if tornado.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                tornado
            } else {
                "missing".into()
            },
        ),
        fact("tiny_http", crate_version("tiny_http")),
        fact("tungstenite", crate_version("tungstenite")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cpu_model_and_locked_versions_are_found() {
        let cpuinfo = "processor\t: 0\nvendor_id\t: X\nmodel name\t: Some CPU @ 2.20GHz\n";
        assert_eq!(cpu_model(cpuinfo).as_deref(), Some("Some CPU @ 2.20GHz"));
        let lock = "[[package]]\nname = \"tiny_http\"\nversion = \"0.12.0\"\n\n\
                    [[package]]\nname = \"tungstenite\"\nversion = \"0.30.0\"\n";
        assert_eq!(
            locked_version(lock, "tungstenite").as_deref(),
            Some("0.30.0")
        );
        assert_eq!(locked_version(lock, "serde"), None);
    }
}
