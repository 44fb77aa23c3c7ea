//! A zip archive's central directory checked against the archive's bytes (SPEC §8).
//!
//! The loader reads entries through the directory, as the zip crate does; a streaming reader
//! (and many tools) read the local headers one after another instead. When the two disagree,
//! the archive means one thing to calm-audit and another to whatever deploys it: a directory
//! that names one local header twice reads one destination twice and never sees another. So the
//! directory must account for the archive: every entry has its own local header and bytes, no
//! two overlap, and no local header lies in bytes no entry covers. Otherwise the archive is a
//! failed source, and none of it is read.

use std::io::{Read, Seek};

/// The signature of a local file header.
const LOCAL_HEADER: &[u8] = b"PK\x03\x04";

/// One entry's bytes in the archive: its local header, name, extra field and data.
struct Span {
    start: u64,
    end: u64,
    name: String,
    /// How its local header disagrees with its directory entry, if it does.
    disagrees: Option<String>,
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    bytes.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    bytes.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// `Ok` when the directory of `archive` (read from `bytes`) accounts for every local entry in
/// them; otherwise what does not add up, naming the entries and byte offsets. `written` gives
/// an entry's name as the archive writes it, when the loader renamed a repeated one.
pub fn accounted<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
    bytes: &[u8],
    written: impl Fn(&str) -> Option<String>,
) -> Result<(), String> {
    let len = bytes.len() as u64;
    let mut spans = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|e| format!("the local header of entry {} cannot be read ({e})", i + 1))?;
        let start = entry.header_start();
        let end = entry.data_start().checked_add(entry.compressed_size()).filter(|end| *end <= len);
        let name = format!("{:?}", entry.name());
        let Some(end) = end else {
            return Err(format!("entry {name} claims {} bytes of data, past the end of the archive", entry.compressed_size()));
        };
        // What a reader of the local headers sees: the same name, and (unless the sizes follow
        // the data) the same length of data.
        let at = usize::try_from(start).unwrap_or(usize::MAX);
        let local = (|| {
            let flags = u16_at(bytes, at + 6)?;
            let size = u32_at(bytes, at + 18)?;
            let name_len = usize::from(u16_at(bytes, at + 26)?);
            Some((flags, size, bytes.get(at + 30..at + 30 + name_len)?))
        })();
        let Some((flags, size, local_name)) = local else {
            return Err(format!("the local header of entry {name} is cut short"));
        };
        let same_name = match written(entry.name()) {
            Some(original) => String::from_utf8_lossy(local_name) == original,
            None => local_name == entry.name_raw(),
        };
        let sizes_follow = flags & 0x08 != 0;
        let disagrees = if !same_name {
            Some(format!("entry {name} has the local header of {:?}", String::from_utf8_lossy(local_name)))
        } else if !sizes_follow && size != u32::MAX && u64::from(size) != entry.compressed_size() {
            Some(format!(
                "entry {name} has {} bytes of data by its directory entry and {size} by its local header",
                entry.compressed_size()
            ))
        } else {
            None
        };
        spans.push(Span { start, end, name, disagrees });
    }
    spans.sort_by_key(|s| (s.start, s.end));
    for pair in spans.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if a.start == b.start {
            return Err(format!("its directory points entries {} and {} at one local header (byte {})", a.name, b.name, a.start));
        }
        if b.start < a.end {
            return Err(format!("entry {} starts at byte {}, inside entry {} (bytes {}–{})", b.name, b.start, a.name, a.start, a.end));
        }
    }
    if let Some(why) = spans.iter().find_map(|s| s.disagrees.clone()) {
        return Err(why);
    }
    // The bytes no entry covers: before the first, between entries, and after the last (the
    // directory itself, the end record, a comment) hold no local header.
    let mut from = 0u64;
    let gaps = spans.iter().map(|s| (s.start, s.end)).chain(std::iter::once((len, len)));
    for (start, end) in gaps {
        let gap = &bytes
            [usize::try_from(from).unwrap_or(usize::MAX).min(bytes.len())..usize::try_from(start).unwrap_or(usize::MAX).min(bytes.len())];
        if let Some(at) = memchr::memmem::find(gap, LOCAL_HEADER) {
            return Err(format!("a local entry at byte {} that its directory does not name", from + at as u64));
        }
        from = from.max(end);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn archive(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        for (name, content) in entries {
            w.start_file(*name, options).unwrap();
            w.write_all(content).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn check(bytes: &[u8]) -> Result<(), String> {
        let mut a = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
        accounted(&mut a, bytes, |_| None)
    }

    /// The offset of the local header that the directory entry `index` names, as a position of
    /// the 4 bytes to patch.
    fn offset_field(bytes: &[u8], index: usize) -> usize {
        let mut at = memchr::memmem::find(bytes, b"PK\x01\x02").unwrap();
        for _ in 0..index {
            let n = |o: usize| usize::from(u16::from_le_bytes([bytes[at + o], bytes[at + o + 1]]));
            at += 46 + n(28) + n(30) + n(32);
        }
        at + 42
    }

    #[test]
    fn an_ordinary_archive_is_accounted_for() {
        assert_eq!(check(&archive(&[("a.json", b"[]"), ("b.json", b"{}"), ("dir/c.properties", b"Name=C\n")])), Ok(()));
        assert_eq!(check(&archive(&[])), Ok(()));
    }

    #[test]
    fn two_entries_at_one_local_header_are_refused() {
        let mut bytes = archive(&[("pass.json", b"[1]"), ("fail.json", b"[2]")]);
        let first = offset_field(&bytes, 0);
        let second = offset_field(&bytes, 1);
        let target: [u8; 4] = bytes[first..first + 4].try_into().unwrap();
        bytes[second..second + 4].copy_from_slice(&target);
        let e = check(&bytes).unwrap_err();
        assert!(e.contains("one local header") && e.contains("\"pass.json\"") && e.contains("\"fail.json\""), "{e}");
    }

    #[test]
    fn a_local_entry_the_directory_does_not_name_is_refused() {
        // The directory of a one-entry archive, after two local entries: the second is unnamed.
        let two = archive(&[("pass.json", b"[1]"), ("hidden.json", b"[2]")]);
        let one = archive(&[("pass.json", b"[1]")]);
        let directory = memchr::memmem::find(&one, b"PK\x01\x02").unwrap();
        let locals_end = memchr::memmem::find(&two, b"PK\x01\x02").unwrap();
        let mut bytes = two[..locals_end].to_vec();
        let mut tail = one[directory..].to_vec();
        // The end record's directory offset moves to where the directory now is.
        let eocd = memchr::memmem::rfind(&tail, b"PK\x05\x06").unwrap();
        tail[eocd + 16..eocd + 20].copy_from_slice(&u32::try_from(locals_end).unwrap().to_le_bytes());
        bytes.extend(tail);
        let e = check(&bytes).unwrap_err();
        assert!(e.contains("does not name"), "{e}");
    }

    #[test]
    fn a_local_header_that_says_otherwise_than_the_directory_is_refused() {
        // Another name in the local header than in the directory.
        let mut bytes = archive(&[("pass.json", b"[1]")]);
        bytes[30..39].copy_from_slice(b"fail.json");
        assert!(check(&bytes).unwrap_err().contains("has the local header of \"fail.json\""));
        // A shorter length of data in the local header: a streaming reader would find a local
        // header where the directory sees data.
        let mut bytes = archive(&[("pass.json", b"[1, 2, 3]")]);
        bytes[18..22].copy_from_slice(&3u32.to_le_bytes());
        assert!(check(&bytes).unwrap_err().contains("by its local header"));
    }

    #[test]
    fn an_entry_inside_another_is_refused() {
        // a.json holds, as its data, b.json's local header and data; b's directory entry is
        // then pointed there, inside a.
        let alone = archive(&[("b.json", b"[2]")]);
        let local = &alone[..memchr::memmem::find(&alone, b"PK\x01\x02").unwrap()];
        let mut bytes = archive(&[("a.json", local), ("b.json", b"[2]")]);
        let inside = memchr::memmem::find(&bytes[4..], local).unwrap() + 4;
        let field = offset_field(&bytes, 1);
        bytes[field..field + 4].copy_from_slice(&u32::try_from(inside).unwrap().to_le_bytes());
        let e = check(&bytes).unwrap_err();
        assert!(e.contains("inside entry \"a.json\""), "{e}");
    }

    /// A small seeded generator: a failing case is replayed from its round.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            usize::try_from(self.0 % n.max(1) as u64).unwrap()
        }
    }

    /// The directory records of an archive: (start, length) of each.
    fn records(bytes: &[u8]) -> (Vec<(usize, usize)>, usize) {
        let eocd = memchr::memmem::rfind(bytes, b"PK\x05\x06").unwrap();
        let mut at = usize::try_from(u32::from_le_bytes(bytes[eocd + 16..eocd + 20].try_into().unwrap())).unwrap();
        let mut out = Vec::new();
        while bytes[at..].starts_with(b"PK\x01\x02") {
            let n = |o: usize| usize::from(u16::from_le_bytes([bytes[at + o], bytes[at + o + 1]]));
            let len = 46 + n(28) + n(30) + n(32);
            out.push((at, len));
            at += len;
        }
        (out, eocd)
    }

    /// The archive with directory record `k` left out (the end record's counts and size fixed):
    /// its local entry is still there, named by nothing.
    fn unnamed(bytes: &[u8], k: usize) -> Vec<u8> {
        let (records, eocd) = records(bytes);
        let (start, len) = records[k];
        let mut out = [&bytes[..start], &bytes[start + len..]].concat();
        let e = eocd - len;
        for field in [e + 8, e + 10] {
            let n = u16::from_le_bytes([out[field], out[field + 1]]) - 1;
            out[field..field + 2].copy_from_slice(&n.to_le_bytes());
        }
        let size = u32::from_le_bytes(out[e + 12..e + 16].try_into().unwrap()) - u32::try_from(len).unwrap();
        out[e + 12..e + 16].copy_from_slice(&size.to_le_bytes());
        out
    }

    /// [`accounted`] over an archive the zip crate itself reads without complaint.
    fn judged(bytes: &[u8]) -> Result<(), String> {
        let mut a = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("the zip crate reads it");
        accounted(&mut a, bytes, |_| None)
    }

    /// The class, not the instance: random archives as written are accounted for; the same
    /// archives with one entry pointed at another's local header, or with one entry left out of
    /// the directory, never are.
    #[test]
    fn random_archives_are_accounted_for_and_their_forgeries_never() {
        let mut rng = Rng(0x1427_0014);
        for round in 0..300 {
            let n = 2 + rng.below(5);
            let names: Vec<String> = (0..n).map(|i| format!("{}{i}.json", ["dest", "a/b", "x"][rng.below(3)])).collect();
            let contents: Vec<Vec<u8>> =
                (0..n).map(|i| format!("[{}]", "7,".repeat(rng.below(300)) + &i.to_string()).into_bytes()).collect();
            let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
            for (name, content) in names.iter().zip(&contents) {
                let method = [zip::CompressionMethod::Stored, zip::CompressionMethod::Deflated][rng.below(2)];
                w.start_file(name.as_str(), zip::write::SimpleFileOptions::default().compression_method(method)).unwrap();
                w.write_all(content).unwrap();
            }
            let honest = w.finish().unwrap().into_inner();
            assert_eq!(check(&honest), Ok(()), "round {round}");

            let (records, _) = records(&honest);
            let (from, to) = (rng.below(n), rng.below(n));
            if from != to {
                let mut forged = honest.clone();
                let (a, b) = (records[from].0, records[to].0);
                let offset: [u8; 4] = honest[a + 42..a + 46].try_into().unwrap();
                forged[b + 42..b + 46].copy_from_slice(&offset);
                assert!(judged(&forged).is_err(), "round {round}: {to} pointed at {from}");
            }
            let dropped = unnamed(&honest, rng.below(n));
            assert!(judged(&dropped).is_err(), "round {round}: an entry left out");
        }
    }
}
