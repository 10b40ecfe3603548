//! Reads files out of a zip archive held in memory: the workflow artifacts GitHub serves
//! (`actions/upload-artifact` writes plain zip, entries stored or deflated).
//!
//! The central directory at the end is the index (PKWARE APPNOTE 6.3.10, sections 4.3.12 and
//! 4.3.16): each entry's name, method, sizes, CRC-32 and the offset of its local header. Only
//! what an artifact uses is supported: methods 0 (stored) and 8 (deflate), no encryption, no
//! ZIP64 (an artifact over 4 GiB is not a test report). Every size and offset is checked
//! against the buffer, inflated data is capped, and the CRC-32 is verified.

use std::io::Read;

/// Why an archive cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZipError {
    /// No end-of-central-directory record: not a zip, or cut short.
    #[error("not a zip archive (no end-of-central-directory record; truncated download?)")]
    NoDirectory,
    /// A record points outside the data or has the wrong signature.
    #[error("damaged zip archive: {0}")]
    Damaged(&'static str),
    /// ZIP64, encryption or a compression method other than stored/deflate.
    #[error("unsupported zip feature in `{name}`: {what}")]
    Unsupported {
        /// The entry.
        name: String,
        /// What.
        what: String,
    },
    /// An entry inflates to more than allowed.
    #[error("`{name}` is larger than {limit} bytes")]
    TooLarge {
        /// The entry.
        name: String,
        /// The cap.
        limit: usize,
    },
    /// The inflated data does not match the CRC-32 of the directory.
    #[error("`{name}` is corrupt (CRC-32 mismatch)")]
    Crc {
        /// The entry.
        name: String,
    },
}

/// One file of the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its path inside the archive, `/`-separated.
    pub name: String,
    method: u16,
    flags: u16,
    crc: u32,
    compressed: usize,
    size: usize,
    local_offset: usize,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

const EOCD: u32 = 0x0605_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const LOCAL: u32 = 0x0403_4b50;

/// The entries of the archive, in directory order.
pub fn entries(data: &[u8]) -> Result<Vec<Entry>, ZipError> {
    // The end record is 22 bytes plus a comment of at most 65,535 bytes: search backwards.
    let earliest = data.len().saturating_sub(22 + 65_535);
    let eocd = (earliest..=data.len().saturating_sub(22))
        .rev()
        .find(|&i| u32_at(data, i) == Some(EOCD))
        .ok_or(ZipError::NoDirectory)?;
    let count = u16_at(data, eocd + 10).ok_or(ZipError::NoDirectory)?;
    let dir_size = u32_at(data, eocd + 12).ok_or(ZipError::NoDirectory)?;
    let dir_offset = u32_at(data, eocd + 16).ok_or(ZipError::NoDirectory)?;
    if count == 0xffff || dir_size == 0xffff_ffff || dir_offset == 0xffff_ffff {
        return Err(ZipError::Unsupported {
            name: String::new(),
            what: "ZIP64".into(),
        });
    }
    let mut at = dir_offset as usize;
    let end = at
        .checked_add(dir_size as usize)
        .filter(|e| *e <= eocd)
        .ok_or(ZipError::Damaged(
            "the central directory lies outside the archive",
        ))?;
    let mut out = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        let field = |off: usize| u32_at(data, at + off);
        if field(0) != Some(CENTRAL) || at + 46 > end {
            return Err(ZipError::Damaged("a central directory entry is missing"));
        }
        let short = |off: usize| u16_at(data, at + off).unwrap_or(0);
        let (name_len, extra_len, comment_len) = (
            usize::from(short(28)),
            usize::from(short(30)),
            usize::from(short(32)),
        );
        let name_end = at + 46 + name_len;
        let name = data
            .get(at + 46..name_end)
            .filter(|_| name_end <= end)
            .ok_or(ZipError::Damaged("an entry name runs past the directory"))?;
        let entry = Entry {
            name: String::from_utf8_lossy(name).into_owned(),
            method: short(10),
            flags: short(8),
            crc: field(16).unwrap_or(0),
            compressed: field(20).unwrap_or(0) as usize,
            size: field(24).unwrap_or(0) as usize,
            local_offset: field(42).unwrap_or(0) as usize,
        };
        if entry.compressed == 0xffff_ffff
            || entry.size == 0xffff_ffff
            || entry.local_offset == 0xffff_ffff
        {
            return Err(ZipError::Unsupported {
                name: entry.name,
                what: "ZIP64".into(),
            });
        }
        out.push(entry);
        at = name_end + extra_len + comment_len;
    }
    Ok(out)
}

/// The contents of `entry`, at most `limit` bytes once inflated.
pub fn read(data: &[u8], entry: &Entry, limit: usize) -> Result<Vec<u8>, ZipError> {
    let unsupported = |what: &str| ZipError::Unsupported {
        name: entry.name.clone(),
        what: what.to_owned(),
    };
    if entry.flags & 1 != 0 {
        return Err(unsupported("encryption"));
    }
    if entry.size > limit {
        return Err(ZipError::TooLarge {
            name: entry.name.clone(),
            limit,
        });
    }
    let at = entry.local_offset;
    if u32_at(data, at) != Some(LOCAL) {
        return Err(ZipError::Damaged("a local file header is missing"));
    }
    let name_len = usize::from(u16_at(data, at + 26).unwrap_or(0));
    let extra_len = usize::from(u16_at(data, at + 28).unwrap_or(0));
    let start = at + 30 + name_len + extra_len;
    let raw = start
        .checked_add(entry.compressed)
        .and_then(|end| data.get(start..end))
        .ok_or(ZipError::Damaged("an entry's data runs past the archive"))?;
    let bytes = match entry.method {
        0 => raw.to_vec(),
        8 => {
            let mut out = Vec::with_capacity(entry.size.min(limit));
            // One byte over the cap tells a lying size field from an honest one.
            flate2::read::DeflateDecoder::new(raw)
                .take(limit as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|_| ZipError::Damaged("an entry does not inflate"))?;
            if out.len() > limit {
                return Err(ZipError::TooLarge {
                    name: entry.name.clone(),
                    limit,
                });
            }
            out
        }
        m => return Err(unsupported(&format!("compression method {m}"))),
    };
    let mut crc = flate2::Crc::new();
    crc.update(&bytes);
    if crc.sum() != entry.crc || bytes.len() != entry.size {
        return Err(ZipError::Crc {
            name: entry.name.clone(),
        });
    }
    Ok(bytes)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    /// A zip archive of `files` as `zip -X` writes one: stored when `deflate` is false.
    pub(crate) fn build(files: &[(&str, &[u8])], deflate: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, body) in files {
            let mut crc = flate2::Crc::new();
            crc.update(body);
            let data = if deflate {
                let mut e =
                    flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
                e.write_all(body).unwrap();
                e.finish().unwrap()
            } else {
                body.to_vec()
            };
            let method: u16 = if deflate { 8 } else { 0 };
            let offset = out.len() as u32;
            out.extend_from_slice(&LOCAL.to_le_bytes());
            out.extend_from_slice(&20u16.to_le_bytes()); // version needed
            out.extend_from_slice(&0u16.to_le_bytes()); // flags
            out.extend_from_slice(&method.to_le_bytes());
            out.extend_from_slice(&[0; 4]); // time, date
            out.extend_from_slice(&crc.sum().to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(body.len() as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&data);
            central.extend_from_slice(&CENTRAL.to_le_bytes());
            central.extend_from_slice(&0x031eu16.to_le_bytes()); // made by: unix
            central.extend_from_slice(&20u16.to_le_bytes());
            central.extend_from_slice(&0u16.to_le_bytes());
            central.extend_from_slice(&method.to_le_bytes());
            central.extend_from_slice(&[0; 4]);
            central.extend_from_slice(&crc.sum().to_le_bytes());
            central.extend_from_slice(&(data.len() as u32).to_le_bytes());
            central.extend_from_slice(&(body.len() as u32).to_le_bytes());
            central.extend_from_slice(&(name.len() as u16).to_le_bytes());
            central.extend_from_slice(&[0; 8]); // extra, comment, disk, internal attributes
            central.extend_from_slice(&[0; 4]); // external attributes
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let dir_offset = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(&EOCD.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&(files.len() as u16).to_le_bytes());
        out.extend_from_slice(&(files.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&dir_offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    #[test]
    fn stored_and_deflated_entries_read_back() {
        let report = br#"{"tests": []}"#;
        for deflate in [false, true] {
            let z = build(
                &[("a/report.json", report), ("junit.xml", b"<testsuites/>")],
                deflate,
            );
            let list = entries(&z).unwrap();
            assert_eq!(
                list.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
                ["a/report.json", "junit.xml"]
            );
            assert_eq!(read(&z, &list[0], 1 << 20).unwrap(), report);
        }
    }

    #[test]
    fn python_zipfile_archives_read() {
        // Written by Python's zipfile (ZIP_DEFLATED) with a comment after the directory.
        let z = include_bytes!("../../tests/fixtures/metrics/artifact.zip");
        let list = entries(z).unwrap();
        let e = list
            .iter()
            .find(|e| e.name.ends_with("report.json"))
            .unwrap();
        let text = read(z, e, 1 << 20).unwrap();
        assert!(std::str::from_utf8(&text).unwrap().contains("\"tests\""));
    }

    #[test]
    fn damage_is_an_error_not_a_panic() {
        let z = build(&[("report.json", b"{}")], true);
        assert_eq!(
            entries(b"PK\x03\x04 not really"),
            Err(ZipError::NoDirectory)
        );
        assert_eq!(entries(&z[..z.len() - 5]), Err(ZipError::NoDirectory));
        let mut bad = z.clone();
        let crc_at = 14; // the local header's CRC is not used; the directory's is
        bad[crc_at] ^= 0xff;
        assert!(read(&bad, &entries(&bad).unwrap()[0], 100).is_ok());
        let list = entries(&z).unwrap();
        let mut flipped = z.clone();
        flipped[30 + "report.json".len()] ^= 0x55;
        assert!(matches!(
            read(&flipped, &list[0], 100),
            Err(ZipError::Crc { .. } | ZipError::Damaged(_))
        ));
        assert!(matches!(
            read(&z, &list[0], 1),
            Err(ZipError::TooLarge { .. })
        ));
    }

    proptest::proptest! {
        #[test]
        fn random_bytes_never_panic(data in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            if let Ok(list) = entries(&data) {
                for e in &list {
                    let _ = read(&data, e, 1 << 16);
                }
            }
        }

        #[test]
        fn a_valid_archive_with_random_bytes_flipped_never_panics(at in 0usize..200, byte in proptest::num::u8::ANY) {
            let mut z = build(&[("x/report.json", b"{\"tests\":[]}"), ("y", b"abc")], true);
            let i = at % z.len();
            z[i] = byte;
            if let Ok(list) = entries(&z) {
                for e in &list {
                    let _ = read(&z, e, 1 << 16);
                }
            }
        }
    }
}
