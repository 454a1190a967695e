//! store: review items in SQLite. The schema is migrated on open (`PRAGMA user_version`
//! counts the migrations applied); every write is one transaction; the database runs in WAL
//! mode with `synchronous=FULL`, so an item the receiver acknowledged survives the receiver
//! being killed, and several processes (the receiver, `review mark`) can share one file.

use crate::item::{Decision, Item, Status, Submission};
use anyhow::{bail, Context, Result};
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Schema migrations, in order; migration `i` brings the schema to version `i + 1`. Only ever
/// append: a deployed store has run the earlier ones.
const MIGRATIONS: &[&str] = &[
    // v1: items, their rules and segments (one row each, in order), and the decision history.
    "CREATE TABLE items (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        received_unix INTEGER NOT NULL,
        request_id    TEXT NOT NULL,
        plugin        TEXT NOT NULL,
        verdict       TEXT NOT NULL,
        score         REAL NOT NULL,
        key_id        TEXT,
        team          TEXT,
        app           TEXT,
        text          TEXT,
        status        TEXT NOT NULL DEFAULT 'open'
                      CHECK (status IN ('open', 'attack', 'false_positive')),
        decided_unix  INTEGER,
        note          TEXT
    );
    CREATE TABLE item_rules (
        item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        pos     INTEGER NOT NULL,
        rule    TEXT NOT NULL,
        PRIMARY KEY (item_id, pos)
    ) WITHOUT ROWID;
    CREATE TABLE item_segments (
        item_id  INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        pos      INTEGER NOT NULL,
        path     TEXT,
        evidence TEXT,
        PRIMARY KEY (item_id, pos)
    ) WITHOUT ROWID;
    CREATE TABLE decisions (
        id       INTEGER PRIMARY KEY,
        item_id  INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        at_unix  INTEGER NOT NULL,
        status   TEXT NOT NULL,
        note     TEXT
    );
    CREATE INDEX items_received ON items (received_unix);
    CREATE INDEX items_status ON items (status, received_unix);
    CREATE INDEX items_team ON items (team, received_unix);
    CREATE INDEX items_app ON items (app, received_unix);
    CREATE INDEX items_plugin ON items (plugin, received_unix);
    CREATE INDEX item_rules_rule ON item_rules (rule, item_id);
    CREATE INDEX decisions_item ON decisions (item_id);",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// Longest note kept with a decision.
pub const MAX_NOTE: usize = 4096;

/// Which items a list shows (every field optional; all set fields must match).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub rule: Option<String>,
    pub team: Option<String>,
    pub app: Option<String>,
    pub plugin: Option<String>,
    pub status: Option<Status>,
    /// Received at or after (unix seconds).
    pub since: Option<u64>,
    /// Received before (unix seconds).
    pub until: Option<u64>,
    /// At most this many items (newest first); 0 = the default of 500.
    pub limit: usize,
}

/// Flags and decisions of one rule (of one plugin, optionally within one app).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RuleStats {
    pub plugin: String,
    pub rule: String,
    /// None in the per-rule summary; the app in `rule_app_stats`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    pub flagged: u64,
    pub open: u64,
    pub attack: u64,
    pub false_positive: u64,
}

impl RuleStats {
    /// False positives among the decided items (None before any decision).
    pub fn false_positive_rate(&self) -> Option<f64> {
        let decided = self.attack + self.false_positive;
        (decided > 0).then(|| self.false_positive as f64 / decided as f64)
    }
}

/// The review store.
pub struct Store {
    path: PathBuf,
    conn: Mutex<Connection>,
}

pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Store {
    /// Opens (creating if needed) the store at `path` and migrates its schema.
    pub fn open(path: impl Into<PathBuf>) -> Result<Store> {
        let path = path.into();
        let mut conn =
            Connection::open(&path).with_context(|| format!("opening {}", path.display()))?;
        conn.busy_timeout(Duration::from_secs(10))?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            bail!("{}: cannot switch to WAL mode (got {mode})", path.display());
        }
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
        migrate(&mut conn).with_context(|| format!("migrating {}", path.display()))?;
        Ok(Store {
            path,
            conn: Mutex::new(conn),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves the connection usable (each write is one
        // transaction, rolled back on drop).
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores a submission received now; returns its id.
    pub fn add(&self, sub: &Submission) -> Result<u64> {
        self.add_at(sub, now_unix())
    }

    /// Stores a submission with its receive time.
    pub fn add_at(&self, sub: &Submission, received_unix: u64) -> Result<u64> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO items (received_unix, request_id, plugin, verdict, score, key_id, team, app, text)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                to_i64(received_unix),
                sub.request_id,
                sub.plugin,
                sub.verdict,
                sub.score,
                sub.key_id,
                sub.team,
                sub.app,
                sub.text
            ],
        )?;
        let id = tx.last_insert_rowid();
        {
            let mut rule =
                tx.prepare("INSERT INTO item_rules (item_id, pos, rule) VALUES (?1, ?2, ?3)")?;
            for (pos, r) in (0i64..).zip(&sub.rules) {
                rule.execute(params![id, pos, r])?;
            }
            let mut seg = tx.prepare(
                "INSERT INTO item_segments (item_id, pos, path, evidence) VALUES (?1, ?2, ?3, ?4)",
            )?;
            let n = sub.segments.len().max(sub.evidence.len());
            for (pos, i) in (0i64..).zip(0..n) {
                seg.execute(params![id, pos, sub.segments.get(i), sub.evidence.get(i)])?;
            }
        }
        tx.commit()?;
        Ok(u64::try_from(id).unwrap_or(0))
    }

    /// One item.
    pub fn get(&self, id: u64) -> Result<Option<Item>> {
        let conn = self.conn();
        let item = conn
            .query_row(
                &format!("SELECT {ITEM_COLUMNS} FROM items WHERE id = ?1"),
                [to_i64(id)],
                row_item,
            )
            .optional()?;
        match item {
            Some(mut item) => {
                fill(&conn, &mut item)?;
                Ok(Some(item))
            }
            None => Ok(None),
        }
    }

    /// Items matching `filter`, newest first.
    pub fn list(&self, filter: &Filter) -> Result<Vec<Item>> {
        let mut clauses = Vec::new();
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        let mut eq = |column: &str, value: &Option<String>| {
            if let Some(v) = value {
                args.push(v.clone().into());
                clauses.push(format!("{column} = ?{}", args.len()));
            }
        };
        eq("team", &filter.team);
        eq("app", &filter.app);
        eq("plugin", &filter.plugin);
        eq("status", &filter.status.map(|s| s.name().to_string()));
        if let Some(rule) = &filter.rule {
            args.push(rule.clone().into());
            clauses.push(format!(
                "id IN (SELECT item_id FROM item_rules WHERE rule = ?{})",
                args.len()
            ));
        }
        if let Some(since) = filter.since {
            args.push(to_i64(since).into());
            clauses.push(format!("received_unix >= ?{}", args.len()));
        }
        if let Some(until) = filter.until {
            args.push(to_i64(until).into());
            clauses.push(format!("received_unix < ?{}", args.len()));
        }
        let limit = if filter.limit == 0 { 500 } else { filter.limit };
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM items {} {} ORDER BY received_unix DESC, id DESC LIMIT {limit}",
            if clauses.is_empty() { "" } else { "WHERE" },
            clauses.join(" AND ")
        );
        let conn = self.conn();
        let mut stmt = conn.prepare(&sql)?;
        let mut items = stmt
            .query_map(params_from_iter(args), row_item)?
            .collect::<rusqlite::Result<Vec<Item>>>()?;
        for item in &mut items {
            fill(&conn, item)?;
        }
        Ok(items)
    }

    /// Records a decision (with an optional note); errors when the id is unknown.
    pub fn decide(&self, id: u64, decision: Decision, note: Option<&str>) -> Result<Item> {
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if note.is_some_and(|n| n.len() > MAX_NOTE) {
            bail!("note: at most {MAX_NOTE} bytes");
        }
        let at = now_unix();
        {
            let mut conn = self.conn();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let status = Status::from(decision).name();
            let n = tx.execute(
                "UPDATE items SET status = ?1, decided_unix = ?2, note = ?3 WHERE id = ?4",
                params![status, to_i64(at), note, to_i64(id)],
            )?;
            if n == 0 {
                bail!("no review item {id}");
            }
            tx.execute(
                "INSERT INTO decisions (item_id, at_unix, status, note) VALUES (?1, ?2, ?3, ?4)",
                params![to_i64(id), to_i64(at), status, note],
            )?;
            tx.commit()?;
        }
        self.get(id)?
            .with_context(|| format!("no review item {id}"))
    }

    /// Every decision taken on an item, oldest first: (unix time, status, note).
    pub fn history(&self, id: u64) -> Result<Vec<(u64, Status, Option<String>)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT at_unix, status, note FROM decisions WHERE item_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([to_i64(id)], |r| {
            let at: i64 = r.get(0)?;
            let status: String = r.get(1)?;
            Ok((
                u64::try_from(at).unwrap_or(0),
                parse_status(&status),
                r.get(2)?,
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Deletes the items received before `cutoff_unix` (retention); returns how many.
    pub fn purge(&self, cutoff_unix: u64) -> Result<usize> {
        let conn = self.conn();
        Ok(conn.execute(
            "DELETE FROM items WHERE received_unix < ?1",
            [to_i64(cutoff_unix)],
        )?)
    }

    /// Flags and decisions per (plugin, rule), most flagged first.
    pub fn rule_stats(&self) -> Result<Vec<RuleStats>> {
        self.stats(false)
    }

    /// Flags and decisions per (plugin, rule, app), for items that name an app.
    pub fn rule_app_stats(&self) -> Result<Vec<RuleStats>> {
        self.stats(true)
    }

    fn stats(&self, per_app: bool) -> Result<Vec<RuleStats>> {
        let (app_col, app_where, app_group) = if per_app {
            ("i.app", "WHERE i.app IS NOT NULL", ", i.app")
        } else {
            ("NULL", "", "")
        };
        let sql = format!(
            "SELECT i.plugin, r.rule, {app_col}, COUNT(*),
                    SUM(i.status = 'open'), SUM(i.status = 'attack'), SUM(i.status = 'false_positive')
             FROM (SELECT DISTINCT item_id, rule FROM item_rules) r
             JOIN items i ON i.id = r.item_id {app_where}
             GROUP BY i.plugin, r.rule{app_group}
             ORDER BY COUNT(*) DESC, i.plugin, r.rule{app_group}"
        );
        let conn = self.conn();
        let mut stmt = conn.prepare(&sql)?;
        let count = |r: &rusqlite::Row<'_>, i: usize| -> rusqlite::Result<u64> {
            Ok(u64::try_from(r.get::<_, i64>(i)?).unwrap_or(0))
        };
        let rows = stmt.query_map([], |r| {
            Ok(RuleStats {
                plugin: r.get(0)?,
                rule: r.get(1)?,
                app: r.get(2)?,
                flagged: count(r, 3)?,
                open: count(r, 4)?,
                attack: count(r, 5)?,
                false_positive: count(r, 6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Distinct values of a filterable column (for the page's filter menus).
    pub fn distinct(&self, what: Facet) -> Result<Vec<String>> {
        let sql = match what {
            Facet::Rule => "SELECT DISTINCT rule FROM item_rules ORDER BY rule",
            Facet::Team => "SELECT DISTINCT team FROM items WHERE team IS NOT NULL ORDER BY team",
            Facet::App => "SELECT DISTINCT app FROM items WHERE app IS NOT NULL ORDER BY app",
            Facet::Plugin => "SELECT DISTINCT plugin FROM items ORDER BY plugin",
        };
        let conn = self.conn();
        let mut stmt = conn.prepare(sql)?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// SQLite's own consistency check ("ok" when sound).
    pub fn integrity_check(&self) -> Result<String> {
        let conn = self.conn();
        Ok(conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
}

/// A column the page filters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    Rule,
    Team,
    App,
    Plugin,
}

fn migrate(conn: &mut Connection) -> Result<()> {
    // IMMEDIATE: two processes opening a new file at once migrate it once.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let version = usize::try_from(version).unwrap_or(usize::MAX);
    if version > MIGRATIONS.len() {
        bail!(
            "schema version {version} is newer than this tool's ({}): upgrade the tool",
            MIGRATIONS.len()
        );
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        tx.execute_batch(sql)
            .with_context(|| format!("migration to version {}", i + 1))?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
    }
    tx.commit()?;
    Ok(())
}

const ITEM_COLUMNS: &str =
    "id, received_unix, request_id, plugin, verdict, score, key_id, team, app, text, status, decided_unix, note";

fn parse_status(s: &str) -> Status {
    // The CHECK constraint admits only the three names.
    Status::parse(s).unwrap_or(Status::Open)
}

fn row_item(r: &rusqlite::Row<'_>) -> rusqlite::Result<Item> {
    let id: i64 = r.get(0)?;
    let received: i64 = r.get(1)?;
    let status: String = r.get(10)?;
    let decided: Option<i64> = r.get(11)?;
    Ok(Item {
        id: u64::try_from(id).unwrap_or(0),
        received_unix: u64::try_from(received).unwrap_or(0),
        status: parse_status(&status),
        decided_unix: decided.map(|d| u64::try_from(d).unwrap_or(0)),
        note: r.get(12)?,
        submission: Submission {
            request_id: r.get(2)?,
            plugin: r.get(3)?,
            verdict: r.get(4)?,
            rules: Vec::new(),
            score: r.get(5)?,
            segments: Vec::new(),
            key_id: r.get(6)?,
            team: r.get(7)?,
            app: r.get(8)?,
            evidence: Vec::new(),
            text: r.get(9)?,
        },
    })
}

/// Reads an item's rules and segments.
fn fill(conn: &Connection, item: &mut Item) -> Result<()> {
    let id = to_i64(item.id);
    let mut stmt =
        conn.prepare_cached("SELECT rule FROM item_rules WHERE item_id = ?1 ORDER BY pos")?;
    item.submission.rules = stmt
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare_cached(
        "SELECT path, evidence FROM item_segments WHERE item_id = ?1 ORDER BY pos",
    )?;
    let rows = stmt
        .query_map([id], |r| {
            Ok((
                r.get::<_, Option<String>>(0)?,
                r.get::<_, Option<String>>(1)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    item.submission.segments = rows.iter().filter_map(|(p, _)| p.clone()).collect();
    item.submission.evidence = rows.into_iter().filter_map(|(_, e)| e).collect();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn temp_db(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("guardrail-review-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.sqlite"));
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
        }
        path
    }

    fn sub(request_id: &str, rules: &[&str], team: Option<&str>, app: Option<&str>) -> Submission {
        Submission {
            request_id: request_id.into(),
            plugin: "injection-guard".into(),
            verdict: "flag".into(),
            rules: rules.iter().map(|r| r.to_string()).collect(),
            score: 0.8,
            segments: vec!["messages[1].content".into()],
            key_id: Some("k1".into()),
            team: team.map(Into::into),
            app: app.map(Into::into),
            evidence: vec!["ab".repeat(32)],
            text: None,
        }
    }

    #[test]
    fn adds_round_trip_and_survive_reopening() {
        let db = temp_db("roundtrip");
        let store = Store::open(&db).unwrap();
        let mut s = sub("r-1", &["inj.override", "inj.role"], Some("t"), Some("a"));
        s.segments.push("messages[2].content".into());
        s.text = Some("captured".into());
        let id = store.add_at(&s, 100).unwrap();
        drop(store);
        let store = Store::open(&db).unwrap();
        let item = store.get(id).unwrap().unwrap();
        assert_eq!(item.submission, s);
        assert_eq!((item.received_unix, item.status), (100, Status::Open));
        assert!(store.get(id + 1).unwrap().is_none());
        assert_eq!(store.integrity_check().unwrap(), "ok");
    }

    #[test]
    fn schema_is_migrated_once_and_a_newer_one_refused() {
        let db = temp_db("migrate");
        drop(Store::open(&db).unwrap());
        let conn = Connection::open(&db).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v as usize, SCHEMA_VERSION);
        drop(Store::open(&db).unwrap()); // re-opening runs nothing twice
        conn.execute_batch(&format!("PRAGMA user_version = {}", SCHEMA_VERSION + 1))
            .unwrap();
        let err = Store::open(&db).err().unwrap();
        assert!(
            format!("{err:#}").contains("newer than this tool"),
            "{err:#}"
        );
    }

    #[test]
    fn filters_select_by_every_field() {
        let db = temp_db("filters");
        let store = Store::open(&db).unwrap();
        let a = store
            .add_at(&sub("a", &["r1"], Some("t1"), Some("chat")), 100)
            .unwrap();
        let b = store
            .add_at(&sub("b", &["r1", "r2"], Some("t2"), Some("chat")), 200)
            .unwrap();
        let c = store.add_at(&sub("c", &["r2"], None, None), 300).unwrap();
        store
            .decide(b, Decision::FalsePositive, Some("benign"))
            .unwrap();
        let ids =
            |f: Filter| -> Vec<u64> { store.list(&f).unwrap().iter().map(|i| i.id).collect() };
        let s = |v: &str| Some(v.to_string());
        let cases = [
            (Filter::default(), vec![c, b, a]),
            (
                Filter {
                    rule: s("r1"),
                    ..Filter::default()
                },
                vec![b, a],
            ),
            (
                Filter {
                    rule: s("r2"),
                    ..Filter::default()
                },
                vec![c, b],
            ),
            (
                Filter {
                    team: s("t1"),
                    ..Filter::default()
                },
                vec![a],
            ),
            (
                Filter {
                    app: s("chat"),
                    ..Filter::default()
                },
                vec![b, a],
            ),
            (
                Filter {
                    status: Some(Status::Open),
                    ..Filter::default()
                },
                vec![c, a],
            ),
            (
                Filter {
                    status: Some(Status::FalsePositive),
                    ..Filter::default()
                },
                vec![b],
            ),
            (
                Filter {
                    since: Some(200),
                    ..Filter::default()
                },
                vec![c, b],
            ),
            (
                Filter {
                    until: Some(200),
                    ..Filter::default()
                },
                vec![a],
            ),
            (
                Filter {
                    rule: s("r2"),
                    app: s("chat"),
                    ..Filter::default()
                },
                vec![b],
            ),
            (
                Filter {
                    rule: s("nope"),
                    ..Filter::default()
                },
                vec![],
            ),
            (
                Filter {
                    limit: 1,
                    ..Filter::default()
                },
                vec![c],
            ),
        ];
        for (filter, want) in cases {
            assert_eq!(ids(filter.clone()), want, "{filter:?}");
        }
        assert_eq!(store.distinct(Facet::Rule).unwrap(), vec!["r1", "r2"]);
        assert_eq!(store.distinct(Facet::Team).unwrap(), vec!["t1", "t2"]);
        assert_eq!(store.distinct(Facet::App).unwrap(), vec!["chat"]);
    }

    #[test]
    fn decisions_are_kept_with_history_and_counted_per_rule() {
        let db = temp_db("decide");
        let store = Store::open(&db).unwrap();
        let a = store
            .add(&sub("a", &["r1", "r1"], None, Some("chat")))
            .unwrap();
        let b = store.add(&sub("b", &["r1"], None, Some("batch"))).unwrap();
        store.add(&sub("c", &["r2"], None, None)).unwrap();
        let item = store.decide(a, Decision::Attack, Some("  real  ")).unwrap();
        assert_eq!(
            (item.status, item.note.as_deref()),
            (Status::Attack, Some("real"))
        );
        store.decide(a, Decision::FalsePositive, None).unwrap();
        store.decide(b, Decision::FalsePositive, Some("")).unwrap();
        assert!(store.decide(99, Decision::Attack, None).is_err());
        assert!(store
            .decide(a, Decision::Attack, Some(&"x".repeat(MAX_NOTE + 1)))
            .is_err());
        let history = store.history(a).unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(
            (history[0].1, history[1].1),
            (Status::Attack, Status::FalsePositive)
        );
        assert_eq!(store.get(a).unwrap().unwrap().note, None);

        let stats = store.rule_stats().unwrap();
        let r1 = stats.iter().find(|s| s.rule == "r1").unwrap();
        // Item a names r1 twice: it counts once.
        assert_eq!(
            (r1.flagged, r1.open, r1.attack, r1.false_positive),
            (2, 0, 0, 2)
        );
        assert_eq!(r1.false_positive_rate(), Some(1.0));
        let r2 = stats.iter().find(|s| s.rule == "r2").unwrap();
        assert_eq!(
            (r2.flagged, r2.open, r2.false_positive_rate()),
            (1, 1, None)
        );
        let per_app = store.rule_app_stats().unwrap();
        assert_eq!(per_app.len(), 2, "{per_app:?}"); // r2's item names no app
        assert!(per_app
            .iter()
            .all(|s| s.rule == "r1" && s.false_positive == 1));
    }

    #[test]
    fn purge_removes_old_items_with_their_rows() {
        let db = temp_db("purge");
        let store = Store::open(&db).unwrap();
        let old = store.add_at(&sub("old", &["r1"], None, None), 100).unwrap();
        store.decide(old, Decision::Attack, Some("n")).unwrap();
        let new = store
            .add_at(&sub("new", &["r1"], None, None), 1000)
            .unwrap();
        assert_eq!(store.purge(500).unwrap(), 1);
        assert!(store.get(old).unwrap().is_none());
        assert!(store.get(new).unwrap().is_some());
        assert!(store.history(old).unwrap().is_empty());
        assert_eq!(store.rule_stats().unwrap()[0].flagged, 1);
        let conn = Connection::open(&db).unwrap();
        let orphans: i64 = conn
            .query_row(
                "SELECT (SELECT COUNT(*) FROM item_rules WHERE item_id = ?1)
                      + (SELECT COUNT(*) FROM item_segments WHERE item_id = ?1)",
                [old as i64],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(orphans, 0);
    }

    #[test]
    fn list_filters_use_the_indexes() {
        let db = temp_db("plan");
        drop(Store::open(&db).unwrap());
        let conn = Connection::open(&db).unwrap();
        for (sql, index) in [
            (
                "SELECT id FROM items WHERE team = 'x' ORDER BY received_unix DESC",
                "items_team",
            ),
            (
                "SELECT id FROM items WHERE app = 'x' ORDER BY received_unix DESC",
                "items_app",
            ),
            (
                "SELECT id FROM items WHERE status = 'open' ORDER BY received_unix DESC",
                "items_status",
            ),
            (
                "SELECT id FROM items WHERE received_unix >= 5 ORDER BY received_unix DESC",
                "items_received",
            ),
            (
                "SELECT item_id FROM item_rules WHERE rule = 'x'",
                "item_rules_rule",
            ),
        ] {
            let plan: Vec<String> = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap()
                .query_map([], |r| r.get::<_, String>(3))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            assert!(plan.iter().any(|p| p.contains(index)), "{sql}: {plan:?}");
        }
    }
}
