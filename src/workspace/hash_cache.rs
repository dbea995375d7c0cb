//! The content hashes of one look, kept for the next: a file whose size,
//! modification time and inode are what they were when it was hashed is
//! not read again. One modified within a second of being hashed is read
//! again all the same (a rewrite within the same tick of the file system's
//! clock, of the same size, would not show in its metadata).

use std::collections::HashMap;
use std::fs::Metadata;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

/// A file hashed this soon after its last modification is hashed again.
const RACY_NS: u128 = 1_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    size: u64,
    mtime_ns: u128,
    ino: u64,
    hashed_at_ns: u128,
    hash: [u8; 16],
}

#[derive(Debug, Default)]
pub(super) struct HashCache {
    /// What the last look hashed.
    last: HashMap<PathBuf, Entry>,
    /// What this look hashed (or kept) so far.
    this: HashMap<PathBuf, Entry>,
    /// Files whose content was read, over every look.
    reads: u64,
}

impl HashCache {
    /// The first 16 bytes of the SHA-256 of the content of the file at
    /// `path` (whose metadata is `meta`): the last look's, when the file is
    /// as it was then; else read now.
    pub(super) fn hash(&mut self, path: &Path, meta: &Metadata) -> Option<[u8; 16]> {
        let mtime_ns = nanos(meta.modified().ok()?)?;
        let (size, ino) = (meta.len(), meta.ino());
        if let Some(entry) = self.last.get(path)
            && (entry.size, entry.mtime_ns, entry.ino) == (size, mtime_ns, ino)
            && entry.hashed_at_ns >= mtime_ns + RACY_NS
        {
            let entry = *entry;
            self.this.insert(path.to_path_buf(), entry);
            return Some(entry.hash);
        }
        let hashed_at_ns = nanos(SystemTime::now())?;
        let hash = read_hash(path)?;
        self.reads += 1;
        self.this.insert(
            path.to_path_buf(),
            Entry {
                size,
                mtime_ns,
                ino,
                hashed_at_ns,
                hash,
            },
        );
        Some(hash)
    }

    /// The look is over: what it hashed is what the next one may keep (the
    /// files it did not see are forgotten).
    pub(super) fn look_done(&mut self) {
        self.last = std::mem::take(&mut self.this);
    }

    /// Files whose content was read, over every look.
    pub(super) fn reads(&self) -> u64 {
        self.reads
    }
}

fn nanos(time: SystemTime) -> Option<u128> {
    time.duration_since(UNIX_EPOCH).ok().map(|d| d.as_nanos())
}

fn read_hash(path: &Path) -> Option<[u8; 16]> {
    let mut file = std::fs::File::open(path).ok()?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    let digest = hasher.finalize();
    let mut short = [0u8; 16];
    short.copy_from_slice(&digest[..16]);
    Some(short)
}
