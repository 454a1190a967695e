//! store: an append-only JSON Lines file (`{"op":"add",...}` / `{"op":"mark",...}`), replayed
//! on every read. No database dependency; a crash can only lose the line being written, and
//! the file doubles as an audit trail of every decision.

use super::item::{Decision, Item, Status, Submission};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase", deny_unknown_fields)]
enum Record {
    Add { id: u64, at: u64, item: Submission },
    Mark { id: u64, at: u64, status: Decision },
}

/// The review queue file.
#[derive(Debug, Clone)]
pub struct Store {
    path: PathBuf,
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Store {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: impl Into<PathBuf>) -> anyhow::Result<Store> {
        let path = path.into();
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| anyhow::anyhow!("opening {}: {e}", path.display()))?;
        Ok(Store { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every item, by id, replayed from the file.
    pub fn items(&self) -> anyhow::Result<BTreeMap<u64, Item>> {
        let file = File::open(&self.path)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", self.path.display()))?;
        let mut items = BTreeMap::new();
        for (n, line) in BufReader::new(file).lines().enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let record: Record = serde_json::from_str(&line)
                .map_err(|e| anyhow::anyhow!("{} line {}: {e}", self.path.display(), n + 1))?;
            match record {
                Record::Add { id, at, item } => {
                    items.insert(
                        id,
                        Item {
                            id,
                            received_unix: at,
                            status: Status::Open,
                            decided_unix: None,
                            submission: item,
                        },
                    );
                }
                Record::Mark { id, at, status } => {
                    if let Some(item) = items.get_mut(&id) {
                        item.status = status.into();
                        item.decided_unix = Some(at);
                    }
                }
            }
        }
        Ok(items)
    }

    /// Items with `status` (all when None), oldest first.
    pub fn list(&self, status: Option<Status>) -> anyhow::Result<Vec<Item>> {
        Ok(self
            .items()?
            .into_values()
            .filter(|i| status.is_none_or(|s| i.status == s))
            .collect())
    }

    /// Appends a submission; returns its id.
    pub fn add(&self, submission: Submission) -> anyhow::Result<u64> {
        let id = self.items()?.keys().next_back().map_or(1, |last| last + 1);
        self.append(&Record::Add {
            id,
            at: now_unix(),
            item: submission,
        })?;
        Ok(id)
    }

    /// Records a decision; errors when the id is unknown.
    pub fn mark(&self, id: u64, decision: Decision) -> anyhow::Result<Item> {
        let mut items = self.items()?;
        let Some(item) = items.remove(&id) else {
            anyhow::bail!("no review item {id}");
        };
        let at = now_unix();
        self.append(&Record::Mark {
            id,
            at,
            status: decision,
        })?;
        Ok(Item {
            status: decision.into(),
            decided_unix: Some(at),
            ..item
        })
    }

    fn append(&self, record: &Record) -> anyhow::Result<()> {
        let mut line = serde_json::to_vec(record)?;
        line.push(b'\n');
        let mut file = OpenOptions::new().append(true).open(&self.path)?;
        file.write_all(&line)?; // one write: a line is never interleaved with another
        Ok(())
    }
}
