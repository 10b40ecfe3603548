//! `slipway release archive`: one release archive of built executables, with the README and
//! licence files, and its checksum.
//!
//! `<name>-<version>-<target>.tar.gz` (`.zip` for Windows targets) holds one directory of the
//! same name: the executables (mode 755) and the docs (644), with fixed owners and times so
//! the same inputs give the same bytes. Beside it, `<archive>.sha256` is its `sha256sum` line.
//! Written by hand (ustar, zip with deflate) over `flate2`, already in the tree.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::{DeflateEncoder, GzEncoder};

use crate::error::Hint;
use crate::generate::files::sha256_hex;

/// What to archive.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The archive's name, e.g. `mytool`.
    pub name: String,
    /// The version, e.g. `1.3.0`.
    pub version: String,
    /// The target triple, e.g. `x86_64-unknown-linux-musl`.
    pub target: String,
    /// The executables.
    pub bins: Vec<PathBuf>,
    /// Directories whose README, LICENSE, LICENCE, COPYING and NOTICE files are included (the
    /// first of a name wins).
    pub docs: Vec<PathBuf>,
    /// Where the archive and its `.sha256` go.
    pub out: PathBuf,
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The archive.
    pub archive: PathBuf,
    /// Its sha256.
    pub sha256: String,
    /// The files in it, in order, relative to its directory.
    pub files: Vec<String>,
}

/// Why an archive could not be made.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A name, version or target that is not a plain file-name part.
    #[error("`--{key} {value}` is not a plain name (letters, digits, `.`, `_`, `+`, `-`)")]
    BadPart {
        /// The option.
        key: &'static str,
        /// Its value.
        value: String,
    },
    /// No executable given.
    #[error("no executable to archive")]
    NoBins,
    /// A file could not be read or written.
    #[error("{what} `{}`", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An executable is not a regular file (a symlink, a directory).
    #[error("`{}` is not a regular file", .0.display())]
    NotAFile(PathBuf),
    /// Two files of the same name.
    #[error("two files named `{0}` in one archive")]
    Duplicate(String),
    /// A path too long for ustar, or a file too large for zip.
    #[error("`{0}` cannot be stored in the archive (path or size beyond the format's limits)")]
    TooLarge(String),
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Self::NoBins => Some(
                "pass the built executables after `--`, e.g. `-- target/release/mytool`".into(),
            ),
            Self::BadPart { .. } => {
                Some("names come from the unit and `slipway release plan`'s version".into())
            }
            _ => None,
        }
    }
}

fn plain(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(['.', '-'])
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'+'))
}

/// Doc files included from `--docs` directories.
fn is_doc(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    ["README", "LICENSE", "LICENCE", "COPYING", "NOTICE"]
        .iter()
        .any(|p| upper.starts_with(p))
}

/// True for Windows targets, which get a zip.
fn windows(target: &str) -> bool {
    target.contains("-windows")
}

/// Writes the archive and its `.sha256`.
pub fn run(settings: &Settings) -> Result<Outcome, Error> {
    for (key, value) in [
        ("name", &settings.name),
        ("version", &settings.version),
        ("target", &settings.target),
    ] {
        if !plain(value) {
            return Err(Error::BadPart {
                key,
                value: value.clone(),
            });
        }
    }
    if settings.bins.is_empty() {
        return Err(Error::NoBins);
    }
    let stem = format!("{}-{}-{}", settings.name, settings.version, settings.target);
    let mut entries: Vec<(String, Vec<u8>, u32)> = Vec::new();
    let read = |path: &Path| {
        std::fs::read(path).map_err(|source| Error::Io {
            what: "reading",
            path: path.to_path_buf(),
            source,
        })
    };
    for bin in &settings.bins {
        let meta = std::fs::symlink_metadata(bin).map_err(|source| Error::Io {
            what: "reading",
            path: bin.clone(),
            source,
        })?;
        if !meta.is_file() {
            return Err(Error::NotAFile(bin.clone()));
        }
        let name = bin
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| plain(n))
            .ok_or_else(|| Error::NotAFile(bin.clone()))?
            .to_owned();
        if entries.iter().any(|(n, ..)| *n == name) {
            return Err(Error::Duplicate(name));
        }
        entries.push((name, read(bin)?, 0o755));
    }
    for dir in &settings.docs {
        let Ok(list) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut docs: Vec<(String, PathBuf)> = list
            .filter_map(Result::ok)
            // Symlinks are skipped: a repository's README must not pull in a file outside it.
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| Some((e.file_name().to_str()?.to_owned(), e.path())))
            .filter(|(n, _)| is_doc(n) && plain(n))
            .collect();
        docs.sort();
        for (name, path) in docs {
            if !entries.iter().any(|(n, ..)| *n == name) {
                entries.push((name, read(&path)?, 0o644));
            }
        }
    }
    let (ext, bytes) = if windows(&settings.target) {
        ("zip", zip(&stem, &entries)?)
    } else {
        ("tar.gz", tar_gz(&stem, &entries)?)
    };
    let file = format!("{stem}.{ext}");
    std::fs::create_dir_all(&settings.out).map_err(|source| Error::Io {
        what: "creating",
        path: settings.out.clone(),
        source,
    })?;
    let archive = settings.out.join(&file);
    let write = |path: &Path, bytes: &[u8]| {
        crate::fsutil::write_atomic(path, bytes).map_err(|source| Error::Io {
            what: "writing",
            path: path.to_path_buf(),
            source,
        })
    };
    write(&archive, &bytes)?;
    let sha256 = sha256_hex(&bytes);
    write(
        &settings.out.join(format!("{file}.sha256")),
        format!("{sha256}  {file}\n").as_bytes(),
    )?;
    Ok(Outcome {
        archive,
        sha256,
        files: entries.into_iter().map(|(n, ..)| n).collect(),
    })
}

/// A ustar header field: `value` in octal, NUL-terminated, in `width` bytes.
fn octal(field: &mut [u8], value: u64) {
    let width = field.len() - 1;
    let text = format!("{value:0width$o}");
    field[..width].copy_from_slice(&text.as_bytes()[text.len() - width..]);
    field[width] = 0;
}

fn tar_header(path: &str, size: u64, mode: u32, dir: bool) -> Result<[u8; 512], Error> {
    let mut h = [0u8; 512];
    let bytes = path.as_bytes();
    if bytes.len() <= 100 {
        h[..bytes.len()].copy_from_slice(bytes);
    } else {
        let split = path
            .rfind('/')
            .filter(|&i| i <= 155 && bytes.len() - i - 1 <= 100)
            .ok_or_else(|| Error::TooLarge(path.to_owned()))?;
        h[345..345 + split].copy_from_slice(&bytes[..split]);
        h[..bytes.len() - split - 1].copy_from_slice(&bytes[split + 1..]);
    }
    if size >= 8u64.pow(11) {
        return Err(Error::TooLarge(path.to_owned()));
    }
    octal(&mut h[100..108], u64::from(mode));
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], 0);
    h[156] = if dir { b'5' } else { b'0' };
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
    octal(&mut h[148..155], sum);
    h[155] = b' ';
    Ok(h)
}

fn tar_gz(stem: &str, entries: &[(String, Vec<u8>, u32)]) -> Result<Vec<u8>, Error> {
    let mut tar = Vec::new();
    tar.extend_from_slice(&tar_header(&format!("{stem}/"), 0, 0o755, true)?);
    for (name, bytes, mode) in entries {
        let path = format!("{stem}/{name}");
        tar.extend_from_slice(&tar_header(&path, bytes.len() as u64, *mode, false)?);
        tar.extend_from_slice(bytes);
        tar.resize(tar.len().div_ceil(512) * 512, 0);
    }
    tar.resize(tar.len() + 1024, 0);
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    let io = |source| Error::Io {
        what: "compressing",
        path: PathBuf::from(stem),
        source,
    };
    gz.write_all(&tar).map_err(io)?;
    gz.finish().map_err(io)
}

fn zip(stem: &str, entries: &[(String, Vec<u8>, u32)]) -> Result<Vec<u8>, Error> {
    // 1980-01-01 00:00 in DOS format: fixed, so the bytes depend only on the contents.
    const DOS_DATE: u16 = (1 << 5) | 1;
    let mut out = Vec::new();
    let mut central = Vec::new();
    let le16 = |v: &mut Vec<u8>, x: u16| v.extend_from_slice(&x.to_le_bytes());
    let le32 = |v: &mut Vec<u8>, x: u32| v.extend_from_slice(&x.to_le_bytes());
    let big = |n: &str| Error::TooLarge(n.to_owned());
    for (name, bytes, mode) in entries {
        let path = format!("{stem}/{name}");
        let mut crc = flate2::Crc::new();
        crc.update(bytes);
        let mut deflate = DeflateEncoder::new(Vec::new(), Compression::default());
        let io = |source| Error::Io {
            what: "compressing",
            path: PathBuf::from(&path),
            source,
        };
        deflate.write_all(bytes).map_err(io)?;
        let data = deflate.finish().map_err(io)?;
        let size = u32::try_from(bytes.len()).map_err(|_| big(&path))?;
        let packed = u32::try_from(data.len()).map_err(|_| big(&path))?;
        let offset = u32::try_from(out.len()).map_err(|_| big(&path))?;
        let name_len = u16::try_from(path.len()).map_err(|_| big(&path))?;
        // Local file header.
        le32(&mut out, 0x0403_4b50);
        for v in [20, 0, 8, 0, DOS_DATE] {
            le16(&mut out, v);
        }
        for v in [crc.sum(), packed, size] {
            le32(&mut out, v);
        }
        le16(&mut out, name_len);
        le16(&mut out, 0);
        out.extend_from_slice(path.as_bytes());
        out.extend_from_slice(&data);
        // Central directory entry: made by Unix (3), so the mode travels in the attributes.
        le32(&mut central, 0x0201_4b50);
        for v in [(3 << 8) | 20, 20, 0, 8, 0, DOS_DATE] {
            le16(&mut central, v);
        }
        for v in [crc.sum(), packed, size] {
            le32(&mut central, v);
        }
        for v in [name_len, 0, 0, 0, 0] {
            le16(&mut central, v);
        }
        le32(&mut central, (0o100_000 | mode) << 16);
        le32(&mut central, offset);
        central.extend_from_slice(path.as_bytes());
    }
    let count = u16::try_from(entries.len()).map_err(|_| big(stem))?;
    let central_at = u32::try_from(out.len()).map_err(|_| big(stem))?;
    let central_len = u32::try_from(central.len()).map_err(|_| big(stem))?;
    out.extend_from_slice(&central);
    le32(&mut out, 0x0605_4b50);
    for v in [0, 0, count, count] {
        le16(&mut out, v);
    }
    le32(&mut out, central_len);
    le32(&mut out, central_at);
    le16(&mut out, 0);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_path_goes_to_the_ustar_prefix_and_a_too_long_one_is_refused() {
        let dir = "d".repeat(120);
        let h = tar_header(&format!("{dir}/file"), 3, 0o644, false).unwrap();
        assert_eq!(&h[..5], b"file\0");
        assert_eq!(&h[345..465], dir.as_bytes());
        assert!(tar_header(&"x".repeat(300), 0, 0o644, false).is_err());
    }

    #[test]
    fn bad_parts_are_refused_before_anything_is_written() {
        let out = tempfile::tempdir().unwrap();
        let err = run(&Settings {
            name: "../evil".into(),
            version: "1.0.0".into(),
            target: "x86_64-unknown-linux-musl".into(),
            bins: vec![PathBuf::from("/bin/true")],
            docs: vec![],
            out: out.path().to_path_buf(),
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`--name ../evil` is not a plain name (letters, digits, `.`, `_`, `+`, `-`)"
        );
        assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
    }
}
