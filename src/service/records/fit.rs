//! Making every output fit in a record the producer can send: librdkafka's
//! own size accounting ([`wire_size`]), the limit under `message.max.bytes`
//! ([`output_limit`]), and cutting a dead letter that would not fit
//! ([`fit_dead_letter`]), saying what was cut in `demarche-truncated-*`
//! headers.

use super::OutputRecord;

/// Bytes librdkafka keeps between a record's size and the `message.max.bytes`
/// it checks it against, on top of its own worst-case accounting in
/// [`wire_size`]: room for a difference between librdkafka versions.
pub const OUTPUT_MARGIN: usize = 1024;

pub use crate::config::DEAD_LETTER_HEADROOM;

/// The reason header is at most this long (a reason may quote the input).
pub(super) const REASON_MAX: usize = 1024;
/// When a dead letter must be cut: the key and each header value are kept to
/// this many bytes, the headers together to [`HEADERS_CUT`].
pub(super) const FIELD_CUT: usize = 1024;
const HEADERS_CUT: usize = 8 * 1024;

/// Headers that say what was cut from a dead letter, with the original length
/// (of the payload, of the key) or the number of headers cut or dropped.
pub mod truncated {
    pub const PREFIX: &str = "demarche-truncated-";
    pub const PAYLOAD: &str = "demarche-truncated-payload";
    pub const KEY: &str = "demarche-truncated-key";
    pub const HEADERS: &str = "demarche-truncated-headers";
}

/// The size librdkafka accounts a record at against `message.max.bytes`
/// (`rd_kafka_msg_max_wire_size`: the MsgVersion 2 worst-case overhead of
/// 36 bytes, then key, value and headers, each header its name and value
/// with their lengths as zigzag varints).
pub fn wire_size(key: Option<&[u8]>, payload: &[u8], headers: &[(String, Vec<u8>)]) -> usize {
    const RECORD_OVERHEAD: usize = 5 + 1 + 10 + 5 + 5 + 5 + 5;
    RECORD_OVERHEAD + key.map_or(0, <[u8]>::len) + payload.len() + headers_size(headers)
}

fn headers_size(headers: &[(String, Vec<u8>)]) -> usize {
    headers.iter().map(|(k, v)| header_size(k, v)).sum()
}

fn header_size(name: &str, value: &[u8]) -> usize {
    name.len() + value.len() + varint_size(name.len()) + varint_size(value.len())
}

/// Bytes of a length as a zigzag varint (librdkafka's `rd_uvarint_enc_i64`).
pub(super) fn varint_size(n: usize) -> usize {
    let bits = usize::BITS - (n << 1 | 1).leading_zeros();
    bits.div_ceil(7) as usize
}

impl OutputRecord {
    pub fn wire_size(&self) -> usize {
        wire_size(self.key.as_deref(), &self.payload, &self.headers)
    }
}

/// The most bytes one output record may take under the producer's
/// `message.max.bytes`.
pub fn output_limit(max_message_bytes: usize) -> usize {
    max_message_bytes.saturating_sub(OUTPUT_MARGIN)
}

/// At most `max` bytes of `bytes`; text stays valid UTF-8 (cut at a
/// character boundary).
pub(super) fn cut(bytes: &[u8], max: usize) -> &[u8] {
    if bytes.len() <= max {
        return bytes;
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => {
            let mut end = max;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            &bytes[..end]
        }
        Err(_) => &bytes[..max],
    }
}

/// A dead letter that fits in `limit` bytes ([`wire_size`]). One that does
/// not is cut: the key and every header value to [`FIELD_CUT`] bytes, the
/// input's headers that then still exceed [`HEADERS_CUT`] together dropped,
/// and the payload to what is left; a `demarche-truncated-*` header says
/// what was cut and its original length. A cut dead letter still names the
/// source position, so the whole record can be read from the input topic.
pub fn fit_dead_letter(mut dl: OutputRecord, limit: usize) -> OutputRecord {
    if dl.wire_size() <= limit {
        return dl;
    }
    let key_len = dl.key.as_ref().map_or(0, Vec::len);
    if let Some(k) = dl.key.as_mut().filter(|k| k.len() > FIELD_CUT) {
        *k = cut(k, FIELD_CUT).to_vec();
    }
    let mut kept = Vec::with_capacity(dl.headers.len());
    let mut headers_cut = 0usize;
    let mut total = 0;
    for (name, value) in std::mem::take(&mut dl.headers) {
        // demarche's own headers come first and are short: they are always kept.
        let long = value.len() > FIELD_CUT;
        let value = if long { cut(&value, FIELD_CUT).to_vec() } else { value };
        let size = header_size(&name, &value);
        let dropped = name.len() > FIELD_CUT || total + size > HEADERS_CUT;
        headers_cut += usize::from(long || dropped);
        if dropped {
            continue;
        }
        total += size;
        kept.push((name, value));
    }
    dl.headers = kept;
    // A mark carried from an earlier cut (a cut dead letter re-driven and rejected again)
    // stays as it is: it gives the length of the record at the source ([`mark`]).
    if key_len > FIELD_CUT {
        mark(&mut dl.headers, truncated::KEY, key_len);
    }
    if headers_cut > 0 {
        mark(&mut dl.headers, truncated::HEADERS, headers_cut);
    }
    let original = dl.payload.len();
    let mark_size = header_size(truncated::PAYLOAD, original.to_string().as_bytes());
    let room = limit.saturating_sub(wire_size(dl.key.as_deref(), &[], &dl.headers) + mark_size);
    // Otherwise the key and headers were the excess, and the payload stays whole.
    if original > room {
        mark(&mut dl.headers, truncated::PAYLOAD, original);
        let n = cut(&dl.payload, room).len();
        dl.payload.truncate(n);
    }
    dl
}

/// Adds a `demarche-truncated-*` header, unless one was carried from an earlier cut.
fn mark(headers: &mut Vec<(String, Vec<u8>)>, name: &str, n: usize) {
    if !headers.iter().any(|(k, _)| k == name) {
        headers.push((name.to_string(), n.to_string().into_bytes()));
    }
}
