//! rss: the resident memory (`/proc/<pid>/status` VmRSS) and the CPU time (`/proc/<pid>/stat`
//! utime + stime, all threads) of a running Envoy. The
//! runner does not expose the child's pid, so it is found by the run directory that appears in
//! Envoy's command line (`-c <dir>/envoy.yaml`), which is unique per instance.

use std::fs;
use std::path::Path;

/// The pid of the process whose command line mentions `run_dir`.
pub fn find_pid(run_dir: &Path) -> Option<u32> {
    let needle = run_dir.to_string_lossy().into_owned();
    let me = std::process::id();
    for entry in fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(cmd) = fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        if String::from_utf8_lossy(&cmd).contains(&needle) {
            return Some(pid);
        }
    }
    None
}

/// VmRSS of `pid` in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vm_rss(&status)
}

fn parse_vm_rss(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// CPU time (user + system, all threads) of `pid` in clock ticks (USER_HZ, 100 per second on
/// Linux).
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_cpu_ticks(&stat)
}

/// Clock ticks per second of `/proc/<pid>/stat` (USER_HZ is 100 on every Linux ABI).
pub const TICKS_PER_SECOND: f64 = 100.0;

fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    // The command name (field 2) is in parentheses and may hold spaces: split after it.
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After ")": state is field 3; utime is field 14, stime 15 (1-based) -> indexes 11, 12.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_vm_rss_in_kib() {
        assert_eq!(
            parse_vm_rss("Name:\tenvoy\nVmRSS:\t  123456 kB\n"),
            Some(123_456)
        );
        assert_eq!(parse_vm_rss("Name:\tx\n"), None);
        assert!(rss_kib(std::process::id()).is_some());
    }

    #[test]
    fn reads_cpu_ticks_after_the_command_name() {
        let stat = "42 (envoy (x) y) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0";
        assert_eq!(parse_cpu_ticks(stat), Some(300));
        assert!(cpu_ticks(std::process::id()).is_some());
    }
}
