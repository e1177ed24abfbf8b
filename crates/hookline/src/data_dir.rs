//! The data directory holds the database (payloads, response bodies, token hashes) and the
//! encryption key, so only the server's own user may enter it: the directory is 0700 and the
//! database files 0600, whatever the umask. A directory or file found open to others (made
//! by an older version, or by hand) is closed, and the log says so once at start.

use std::fs;
use std::io;
use std::path::Path;

#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};

/// Creates `dir` (and its parents) if missing, mode 0700; tightens it if it is open to others.
pub fn prepare(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(0o700);
    builder.create(dir)?;
    restrict(dir, 0o700)
}

/// Creates the file at `path` if missing, mode 0600, without truncating it; tightens an
/// existing one. SQLite gives its `-wal` and `-shm` files the mode of the database file, so
/// creating the database this way first covers them too.
pub fn prepare_file(path: &Path) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    options.mode(0o600);
    options.open(path)?;
    restrict(path, 0o600)
}

/// Tightens `path` to `mode` when it is open to group or others; a missing path is fine.
pub fn restrict_existing(path: &Path, mode: u32) -> io::Result<()> {
    match fs::metadata(path) {
        Ok(_) => restrict(path, mode),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> io::Result<()> {
    let current = fs::metadata(path)?.permissions().mode() & 0o777;
    if current & 0o077 != 0 {
        fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
        tracing::warn!(
            path = %path.display(),
            was = format!("{current:o}"),
            now = format!("{mode:o}"),
            "closed to other users"
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict(_: &Path, _: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).expect("metadata").permissions().mode() & 0o777
    }

    #[test]
    fn new_and_existing_paths_are_closed_to_others() {
        let base = std::env::temp_dir().join(format!("hookline-perm-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        let dir = base.join("a/b");
        prepare(&dir).expect("prepare");
        assert_eq!(mode(&dir), 0o700);
        let db = dir.join("hookline.db");
        prepare_file(&db).expect("file");
        assert_eq!(mode(&db), 0o600);
        fs::write(&db, b"kept").expect("write");
        // Opened to everyone, as an older version left them: closed again, content kept.
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod");
        fs::set_permissions(&db, fs::Permissions::from_mode(0o644)).expect("chmod");
        prepare(&dir).expect("prepare");
        prepare_file(&db).expect("file");
        assert_eq!((mode(&dir), mode(&db)), (0o700, 0o600));
        assert_eq!(fs::read(&db).expect("read"), b"kept");
        restrict_existing(&dir.join("missing-wal"), 0o600).expect("missing is fine");
        let _ = fs::remove_dir_all(&base);
    }
}
