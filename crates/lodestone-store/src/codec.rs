//! Byte encodings of stored records, record blocks, index buckets and metadata
//! (public for tests and tools; `docs/format.md` describes every layout).
//!
//! Records (node and edge values) use a compact hand-written layout that starts
//! with a version byte and puts the parts the in-memory index needs (label ids; edge
//! type and endpoints) in a header read without decoding the rest. Decoding bounds
//! every length and the nesting depth, so arbitrary bytes decode to an error, never
//! a panic, a stack overflow or a large allocation. Metadata values (schema, index
//! list) use bincode with a size limit.
//!
//! Every integer in a key is big-endian so sled's byte order is numeric order.

use crate::{StoreError, StoreResult};
use lodestone_model::{Citation, Currency, Decimal, Money, PartialDate, Props, Quantity, Schema, Value};
use std::collections::BTreeMap;

/// Version byte at the start of every node and edge record.
pub const RECORD_VERSION: u8 = 1;
/// Largest encoded record accepted (and produced).
pub const MAX_RECORD: usize = 64 << 20;
/// Deepest nesting of lists and maps in a stored value.
pub const MAX_DEPTH: usize = 64;
/// Size limit for bincode-encoded metadata.
const META_LIMIT: usize = 16 << 20;

fn meta_config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<META_LIMIT>()
}

/// Encodes a metadata value with bincode.
pub(crate) fn encode_meta<T: serde::Serialize>(what: &'static str, value: &T) -> StoreResult<Vec<u8>> {
    bincode::serde::encode_to_vec(value, meta_config()).map_err(|e| StoreError::Encode {
        what,
        reason: e.to_string(),
    })
}

/// Decodes a metadata value; trailing bytes are an error.
pub(crate) fn decode_meta<T: serde::de::DeserializeOwned>(what: &'static str, bytes: &[u8]) -> StoreResult<T> {
    let (value, used): (T, usize) =
        bincode::serde::decode_from_slice(bytes, meta_config()).map_err(|e| StoreError::Decode {
            what,
            reason: e.to_string(),
        })?;
    if used != bytes.len() {
        return Err(StoreError::Decode {
            what,
            reason: format!("{} trailing bytes", bytes.len() - used),
        });
    }
    Ok(value)
}

/// Encodes the schema.
pub(crate) fn encode_schema(schema: &Schema) -> StoreResult<Vec<u8>> {
    encode_meta("schema", schema)
}

/// Decodes the schema.
pub(crate) fn decode_schema(bytes: &[u8]) -> StoreResult<Schema> {
    decode_meta("schema", bytes)
}

// ---- keys -------------------------------------------------------------------

/// A big-endian u64 key part.
pub fn id_key(id: u64) -> [u8; 8] {
    id.to_be_bytes()
}

/// Reads a big-endian u64 key part.
pub fn read_u64(bytes: &[u8]) -> Option<u64> {
    bytes.get(..8)?.try_into().ok().map(u64::from_be_bytes)
}

/// Reads a big-endian u32 key part.
pub fn read_u32(bytes: &[u8]) -> Option<u32> {
    bytes.get(..4)?.try_into().ok().map(u32::from_be_bytes)
}

// ---- record writer ------------------------------------------------------------

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn put_decimal(out: &mut Vec<u8>, d: &Decimal) {
    out.extend_from_slice(&d.mantissa().to_le_bytes());
    out.push(d.scale() as u8);
}

fn too_deep(what: &'static str) -> StoreError {
    StoreError::Encode {
        what,
        reason: format!("lists and maps nest deeper than {MAX_DEPTH} levels"),
    }
}

fn put_value(out: &mut Vec<u8>, v: &Value, depth: usize) -> StoreResult<()> {
    if depth > MAX_DEPTH {
        return Err(too_deep("value"));
    }
    match v {
        Value::Null => out.push(0),
        Value::Bool(false) => out.push(1),
        Value::Bool(true) => out.push(2),
        Value::Int(i) => {
            out.push(3);
            out.extend_from_slice(&i.to_le_bytes());
        }
        Value::Float(f) => {
            out.push(4);
            out.extend_from_slice(&f.to_bits().to_le_bytes());
        }
        Value::String(s) => {
            out.push(5);
            put_str(out, s);
        }
        Value::List(items) => {
            out.push(6);
            put_varint(out, items.len() as u64);
            for item in items {
                put_value(out, item, depth + 1)?;
            }
        }
        Value::Map(m) => {
            out.push(7);
            put_varint(out, m.len() as u64);
            for (k, item) in m {
                put_str(out, k);
                put_value(out, item, depth + 1)?;
            }
        }
        Value::Date(d) => {
            out.push(8);
            out.extend_from_slice(&d.year_part().to_le_bytes());
            out.push(d.month_part().unwrap_or(0));
            out.push(d.day_part().unwrap_or(0));
        }
        Value::Money(m) => {
            out.push(9);
            put_decimal(out, &m.amount);
            put_str(out, &m.currency);
        }
        Value::Percent(p) => {
            out.push(10);
            put_decimal(out, p);
        }
        Value::Quantity(q) => {
            out.push(11);
            put_decimal(out, &q.amount);
            put_str(out, &q.unit);
        }
        Value::Node(_) | Value::Edge(_) | Value::Path(_) => {
            return Err(StoreError::Encode {
                what: "value",
                reason: format!("a {} cannot be stored", v.kind()),
            });
        }
    }
    Ok(())
}

fn put_body(out: &mut Vec<u8>, props: &Props, citations: &[Citation]) -> StoreResult<()> {
    put_varint(out, props.len() as u64);
    for (k, v) in props {
        put_str(out, k);
        put_value(out, v, 0)?;
    }
    put_varint(out, citations.len() as u64);
    for c in citations {
        put_str(out, &c.source);
        match c.line {
            Some(l) => {
                out.push(1);
                out.extend_from_slice(&l.to_le_bytes());
            }
            None => out.push(0),
        }
        match &c.note {
            Some(n) => {
                out.push(1);
                put_str(out, n);
            }
            None => out.push(0),
        }
    }
    Ok(())
}

fn check_size(what: &'static str, out: Vec<u8>) -> StoreResult<Vec<u8>> {
    if out.len() > MAX_RECORD {
        return Err(StoreError::Encode {
            what,
            reason: format!("record of {} bytes exceeds the {MAX_RECORD}-byte limit", out.len()),
        });
    }
    Ok(out)
}

/// Encodes a node: version, label ids, then properties and citations.
pub fn encode_node(labels: &[u32], props: &Props, citations: &[Citation]) -> StoreResult<Vec<u8>> {
    let mut out = Vec::with_capacity(64);
    out.push(RECORD_VERSION);
    put_varint(&mut out, labels.len() as u64);
    for l in labels {
        put_varint(&mut out, u64::from(*l));
    }
    put_body(&mut out, props, citations)?;
    check_size("node", out)
}

/// Encodes an edge: version, type id, start, end (varints), then properties and citations.
pub fn encode_edge(ty: u32, start: u64, end: u64, props: &Props, citations: &[Citation]) -> StoreResult<Vec<u8>> {
    let mut out = Vec::with_capacity(16);
    out.push(RECORD_VERSION);
    put_varint(&mut out, u64::from(ty));
    put_varint(&mut out, start);
    put_varint(&mut out, end);
    put_body(&mut out, props, citations)?;
    check_size("edge", out)
}

// ---- record reader ------------------------------------------------------------

struct Reader<'a> {
    what: &'static str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(what: &'static str, bytes: &'a [u8]) -> StoreResult<Self> {
        let mut r = Reader { what, bytes, pos: 0 };
        if bytes.len() > MAX_RECORD {
            return Err(r.err("record exceeds the size limit"));
        }
        let version = r.byte()?;
        if version != RECORD_VERSION {
            return Err(r.err(&format!("unknown record version {version}")));
        }
        Ok(r)
    }

    fn err(&self, reason: &str) -> StoreError {
        StoreError::Decode {
            what: self.what,
            reason: reason.to_string(),
        }
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn take(&mut self, n: usize) -> StoreResult<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.err("record is truncated"));
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn byte(&mut self) -> StoreResult<u8> {
        Ok(self.take(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> StoreResult<[u8; N]> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn varint(&mut self) -> StoreResult<u64> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let part = u64::from(b & 0x7f);
            if shift == 63 && part > 1 {
                return Err(self.err("integer overflows 64 bits"));
            }
            v |= part << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.err("integer overflows 64 bits"))
    }

    /// A count of items that each take at least one byte: never more than remain.
    fn count(&mut self) -> StoreResult<usize> {
        let n = self.varint()?;
        match usize::try_from(n) {
            Ok(n) if n <= self.remaining() => Ok(n),
            _ => Err(self.err("length exceeds the record")),
        }
    }

    fn string(&mut self) -> StoreResult<String> {
        let n = self.count()?;
        let s = self.take(n)?;
        String::from_utf8(s.to_vec()).map_err(|_| self.err("string is not UTF-8"))
    }

    fn decimal(&mut self) -> StoreResult<Decimal> {
        let m = i128::from_le_bytes(self.array::<16>()?);
        let scale = u32::from(self.byte()?);
        Decimal::try_from_i128_with_scale(m, scale).map_err(|e| self.err(&e.to_string()))
    }

    fn value(&mut self, depth: usize) -> StoreResult<Value> {
        if depth > MAX_DEPTH {
            return Err(self.err("value nests too deeply"));
        }
        Ok(match self.byte()? {
            0 => Value::Null,
            1 => Value::Bool(false),
            2 => Value::Bool(true),
            3 => Value::Int(i64::from_le_bytes(self.array::<8>()?)),
            4 => Value::Float(f64::from_bits(u64::from_le_bytes(self.array::<8>()?))),
            5 => Value::String(self.string()?),
            6 => {
                let n = self.count()?;
                // A claimed count is only bounded by the bytes left, and nested lists
                // would each reserve that much: reserve a little and let real items grow it.
                let mut items = Vec::with_capacity(n.min(64));
                for _ in 0..n {
                    items.push(self.value(depth + 1)?);
                }
                Value::List(items)
            }
            7 => {
                let n = self.count()?;
                let mut m = BTreeMap::new();
                for _ in 0..n {
                    let k = self.string()?;
                    let v = self.value(depth + 1)?;
                    m.insert(k, v);
                }
                Value::Map(m)
            }
            8 => {
                let year = i32::from_le_bytes(self.array::<4>()?);
                let month = self.byte()?;
                let day = self.byte()?;
                let d = match (month, day) {
                    (0, 0) => Some(PartialDate::year(year)),
                    (m, 0) => PartialDate::month(year, m),
                    (m, d) => PartialDate::day(year, m, d),
                };
                Value::Date(d.ok_or_else(|| self.err("invalid date"))?)
            }
            9 => {
                let amount = self.decimal()?;
                let currency = self.string()?;
                let currency = Currency::new(&currency).map_err(|_| self.err("invalid currency code"))?;
                Value::Money(Money { amount, currency })
            }
            10 => Value::Percent(self.decimal()?),
            11 => {
                let amount = self.decimal()?;
                let unit = self.string()?;
                Value::Quantity(Quantity { amount, unit })
            }
            t => return Err(self.err(&format!("unknown value tag {t}"))),
        })
    }

    fn body(&mut self) -> StoreResult<(Props, Vec<Citation>)> {
        let n = self.count()?;
        let mut props = Props::new();
        for _ in 0..n {
            let k = self.string()?;
            let v = self.value(0)?;
            props.insert(k, v);
        }
        let n = self.count()?;
        let mut citations = Vec::with_capacity(n);
        for _ in 0..n {
            let source = self.string()?;
            let line = match self.byte()? {
                0 => None,
                1 => Some(u32::from_le_bytes(self.array::<4>()?)),
                _ => return Err(self.err("bad citation line tag")),
            };
            let note = match self.byte()? {
                0 => None,
                1 => Some(self.string()?),
                _ => return Err(self.err("bad citation note tag")),
            };
            citations.push(Citation { source, line, note });
        }
        if self.remaining() != 0 {
            return Err(self.err("trailing bytes after the record"));
        }
        Ok((props, citations))
    }

    fn labels(&mut self) -> StoreResult<Vec<u32>> {
        let n = self.count()?;
        let mut labels = Vec::with_capacity(n);
        for _ in 0..n {
            let l = self.varint()?;
            labels.push(u32::try_from(l).map_err(|_| self.err("label id out of range"))?);
        }
        Ok(labels)
    }
}

/// Reads only the label ids of a node record.
pub fn decode_node_labels(bytes: &[u8]) -> StoreResult<Vec<u32>> {
    Reader::new("node", bytes)?.labels()
}

/// Decodes a node record into label ids, properties and citations.
pub fn decode_node(bytes: &[u8]) -> StoreResult<(Vec<u32>, Props, Vec<Citation>)> {
    let mut r = Reader::new("node", bytes)?;
    let labels = r.labels()?;
    let (props, citations) = r.body()?;
    Ok((labels, props, citations))
}

impl Reader<'_> {
    fn edge_header(&mut self) -> StoreResult<(u32, u64, u64)> {
        let ty = self.varint()?;
        let ty = u32::try_from(ty).map_err(|_| self.err("type id out of range"))?;
        let start = self.varint()?;
        let end = self.varint()?;
        Ok((ty, start, end))
    }
}

/// The header of an edge record: type id, start, end.
pub fn decode_edge_header(bytes: &[u8]) -> StoreResult<(u32, u64, u64)> {
    Reader::new("edge", bytes)?.edge_header()
}

/// Decodes an edge record into type id, start, end, properties and citations.
pub fn decode_edge(bytes: &[u8]) -> StoreResult<(u32, u64, u64, Props, Vec<Citation>)> {
    let mut r = Reader::new("edge", bytes)?;
    let (ty, start, end) = r.edge_header()?;
    let (props, citations) = r.body()?;
    Ok((ty, start, end, props, citations))
}

// ---- blocks and buckets ---------------------------------------------------------

/// Version byte at the start of every record block and index bucket.
pub const BLOCK_VERSION: u8 = 1;

fn raw_reader<'a>(what: &'static str, bytes: &'a [u8]) -> StoreResult<Reader<'a>> {
    let mut r = Reader { what, bytes, pos: 0 };
    let version = r.byte()?;
    if version != BLOCK_VERSION {
        return Err(r.err(&format!("unknown block version {version}")));
    }
    Ok(r)
}

/// Encodes a block of records: `(slot, record bytes)` in ascending slot order.
pub fn encode_block(entries: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + entries.iter().map(|(_, r)| r.len() + 3).sum::<usize>());
    out.push(BLOCK_VERSION);
    put_varint(&mut out, entries.len() as u64);
    for (slot, rec) in entries {
        out.push(*slot);
        put_varint(&mut out, rec.len() as u64);
        out.extend_from_slice(rec);
    }
    out
}

/// Splits a block into `(slot, record bytes)` entries.
pub fn decode_block(bytes: &[u8]) -> StoreResult<Vec<(u8, &[u8])>> {
    let mut r = raw_reader("block", bytes)?;
    let n = r.count()?;
    let mut entries = Vec::with_capacity(n);
    let mut last: Option<u8> = None;
    for _ in 0..n {
        let slot = r.byte()?;
        if last.is_some_and(|l| l >= slot) {
            return Err(r.err("block slots out of order"));
        }
        last = Some(slot);
        let len = r.count()?;
        entries.push((slot, r.take(len)?));
    }
    if r.remaining() != 0 {
        return Err(r.err("trailing bytes after the block"));
    }
    Ok(entries)
}

/// The record bytes at `slot` in a block, without splitting the whole block: the
/// entries before it are checked as [`decode_block`] checks them, the rest skipped.
pub fn block_record(bytes: &[u8], slot: u8) -> StoreResult<Option<&[u8]>> {
    let mut r = raw_reader("block", bytes)?;
    let n = r.count()?;
    let mut last: Option<u8> = None;
    for _ in 0..n {
        let s = r.byte()?;
        if last.is_some_and(|l| l >= s) {
            return Err(r.err("block slots out of order"));
        }
        last = Some(s);
        let len = r.count()?;
        let rec = r.take(len)?;
        if s == slot {
            return Ok(Some(rec));
        }
        if s > slot {
            return Ok(None);
        }
    }
    Ok(None)
}

/// Encodes an index bucket: `(key bytes, node id)` entries, sorted and unique.
pub fn encode_bucket(entries: &[(Vec<u8>, u64)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + entries.iter().map(|(k, _)| k.len() + 6).sum::<usize>());
    out.push(BLOCK_VERSION);
    put_varint(&mut out, entries.len() as u64);
    for (k, id) in entries {
        put_varint(&mut out, k.len() as u64);
        out.extend_from_slice(k);
        put_varint(&mut out, *id);
    }
    out
}

/// Decodes an index bucket.
pub fn decode_bucket(bytes: &[u8]) -> StoreResult<Vec<(Vec<u8>, u64)>> {
    let mut r = raw_reader("index bucket", bytes)?;
    let n = r.count()?;
    let mut entries = Vec::with_capacity(n);
    for _ in 0..n {
        let len = r.count()?;
        let k = r.take(len)?.to_vec();
        let id = r.varint()?;
        entries.push((k, id));
    }
    if r.remaining() != 0 {
        return Err(r.err("trailing bytes after the bucket"));
    }
    Ok(entries)
}

/// The ids under `key` in an encoded bucket, in stored order: [`decode_bucket`]
/// filtered, without copying the other entries' keys.
pub fn bucket_lookup(bytes: &[u8], key: &[u8]) -> StoreResult<Vec<u64>> {
    let mut r = raw_reader("index bucket", bytes)?;
    let n = r.count()?;
    let mut ids = Vec::new();
    for _ in 0..n {
        let len = r.count()?;
        let k = r.take(len)?;
        let id = r.varint()?;
        if k == key {
            ids.push(id);
        }
    }
    if r.remaining() != 0 {
        return Err(r.err("trailing bytes after the bucket"));
    }
    Ok(ids)
}

/// A stable 64-bit hash (FNV-1a) of index keys, the same on every platform and build.
pub fn stable_hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_is_refused_both_ways() {
        let mut v = Value::Int(1);
        for _ in 0..(MAX_DEPTH + 2) {
            v = Value::List(vec![v]);
        }
        let mut props = Props::new();
        props.insert("x".into(), v);
        assert!(encode_node(&[], &props, &[]).is_err());
        // A hand-made record nesting one list in the next, far past the limit.
        let mut bytes = vec![RECORD_VERSION, 0, 1, 1, b'x'];
        for _ in 0..100_000 {
            bytes.extend_from_slice(&[6, 1]);
        }
        assert!(decode_node(&bytes).is_err());
    }

    #[test]
    fn huge_lengths_do_not_allocate() {
        let bytes = [RECORD_VERSION, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x0f];
        assert!(decode_node(&bytes).is_err());
        let mut list = vec![RECORD_VERSION, 0, 1, 1, b'x', 6];
        list.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
        assert!(decode_node(&list).is_err());
    }

    #[test]
    fn metadata_round_trips() {
        let idx = vec![("Company".to_string(), "ticker".to_string())];
        let bytes = encode_meta("indexes", &idx).unwrap();
        let back: Vec<(String, String)> = decode_meta("indexes", &bytes).unwrap();
        assert_eq!(back, idx);
        assert!(decode_meta::<Vec<(String, String)>>("indexes", &[0xff; 9]).is_err());
        assert_eq!(
            decode_schema(&encode_schema(&Schema::default()).unwrap()).unwrap(),
            Schema::default()
        );
    }
}
