//! The metadata section: key/value pairs, nested arrays, and the memory budget they must fit in.
//!
//! Values are read as far as the checks need them: numbers and short strings are kept, long
//! strings and array elements are skipped over after their lengths have been bounded, and
//! [`Budget`] adds up what candle's in-memory copy will cost so that a file cannot make it
//! allocate without limit. [`Metadata`] then answers typed look-ups (unsigned integers in a range,
//! positive floats, the alignment, the tokenizer arrays) with an error that names the key.

use std::collections::HashMap;
use std::io::{Read, Seek};

use super::reader::Input;
use super::{
    at_most, GgufError, Result, DEFAULT_ALIGNMENT, MAX_ALIGNMENT, MAX_ARRAY_DEPTH, MAX_ARRAY_LEN,
    MAX_STRING_LEN, METADATA_MEMORY_BUDGET, VALUE_MEMORY_COST,
};

/// Longest string value kept in memory for later checks; longer ones are only skipped over.
const MAX_KEPT_STRING: u64 = 1024;

/// A top-level metadata value, as much of it as the checks need.
#[derive(Debug, Clone)]
pub(super) enum Meta {
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    Bool,
    /// `None` when the string was too long to keep.
    Str(Option<String>),
    Array {
        elem: u32,
        len: u64,
    },
}

/// GGUF value type codes.
pub(super) mod vt {
    pub const U8: u32 = 0;
    pub const I8: u32 = 1;
    pub const U16: u32 = 2;
    pub const I16: u32 = 3;
    pub const U32: u32 = 4;
    pub const I32: u32 = 5;
    pub const F32: u32 = 6;
    pub const BOOL: u32 = 7;
    pub const STRING: u32 = 8;
    pub const ARRAY: u32 = 9;
    pub const U64: u32 = 10;
    pub const I64: u32 = 11;
    pub const F64: u32 = 12;
}

fn type_name(code: u32) -> &'static str {
    match code {
        vt::U8 => "u8",
        vt::I8 => "i8",
        vt::U16 => "u16",
        vt::I16 => "i16",
        vt::U32 => "u32",
        vt::I32 => "i32",
        vt::F32 => "f32",
        vt::BOOL => "bool",
        vt::STRING => "string",
        vt::ARRAY => "array",
        vt::U64 => "u64",
        vt::I64 => "i64",
        vt::F64 => "f64",
        _ => "unknown",
    }
}

/// Bytes one value of a fixed-size type occupies on disk (`None` for strings and arrays).
fn fixed_size(code: u32) -> Option<u64> {
    match code {
        vt::U8 | vt::I8 | vt::BOOL => Some(1),
        vt::U16 | vt::I16 => Some(2),
        vt::U32 | vt::I32 | vt::F32 => Some(4),
        vt::U64 | vt::I64 | vt::F64 => Some(8),
        _ => None,
    }
}

/// The least bytes one value of this type occupies on disk.
fn min_size(code: u32) -> u64 {
    match code {
        vt::STRING => 8,
        vt::ARRAY => 4 + 8,
        c => fixed_size(c).unwrap_or(1),
    }
}

/// The metadata of one file: every key with its type code and (summarised) value.
pub(super) struct Metadata {
    values: HashMap<String, (u32, Meta)>,
    /// Length of `tokenizer.ggml.tokens`, when present.
    pub(super) token_count: Option<u64>,
}

/// Tracks the memory candle will need for the metadata.
pub(super) struct Budget {
    used: u64,
}

impl Budget {
    pub(super) fn spend(&mut self, bytes: u64) -> Result<()> {
        self.used = self.used.saturating_add(bytes);
        at_most(
            || "estimated in-memory size of the metadata (bytes)".into(),
            self.used,
            METADATA_MEMORY_BUDGET,
        )
    }
}

/// Reads `count` key/value pairs; a key may appear only once.
pub(super) fn read_metadata<R: Read + Seek>(input: &mut Input<R>, count: u64) -> Result<Metadata> {
    let mut values = HashMap::new();
    let mut budget = Budget { used: 0 };
    let mut token_count = None;
    for i in 0..count {
        let key = input.name(&|| format!("key of metadata entry {i}"))?;
        budget.spend(key.len() as u64 + VALUE_MEMORY_COST)?;
        let code = input.u32(|| format!("value type of {key}"))?;
        let value = read_value(input, &key, code, 0, &mut budget)?;
        if key == "tokenizer.ggml.tokens" {
            if let Meta::Array { len, .. } = value {
                token_count = Some(len);
            }
        }
        if values.contains_key(&key) {
            return Err(GgufError::DuplicateKey(key));
        }
        values.insert(key, (code, value));
    }
    Ok(Metadata {
        values,
        token_count,
    })
}

/// Reads one value of type `code`; `depth` counts the arrays it sits in.
fn read_value<R: Read + Seek>(
    input: &mut Input<R>,
    key: &str,
    code: u32,
    depth: u32,
    budget: &mut Budget,
) -> Result<Meta> {
    match code {
        vt::STRING => {
            let what = || format!("value of {key}");
            let s = input.string(MAX_STRING_LEN, MAX_KEPT_STRING, Some(budget), &what)?;
            Ok(Meta::Str(
                s.map(|b| String::from_utf8_lossy(&b).into_owned()),
            ))
        }
        vt::ARRAY => read_array(input, key, depth, budget),
        _ => read_scalar(input, key, code),
    }
}

/// Reads a number or a boolean.
fn read_scalar<R: Read + Seek>(input: &mut Input<R>, key: &str, code: u32) -> Result<Meta> {
    let what = || format!("value of {key}");
    let value = match code {
        vt::U8 => Meta::Unsigned(input.u8(what)? as u64),
        vt::I8 => Meta::Signed(input.u8(what)? as i8 as i64),
        vt::U16 => Meta::Unsigned(input.u16(what)? as u64),
        vt::I16 => Meta::Signed(input.u16(what)? as i16 as i64),
        vt::U32 => Meta::Unsigned(input.u32(what)? as u64),
        vt::I32 => Meta::Signed(input.u32(what)? as i32 as i64),
        vt::F32 => Meta::Float(f32::from_bits(input.u32(what)?) as f64),
        vt::U64 => Meta::Unsigned(input.u64(what)?),
        vt::I64 => Meta::Signed(input.u64(what)? as i64),
        vt::F64 => Meta::Float(f64::from_bits(input.u64(what)?)),
        vt::BOOL => match input.u8(what)? {
            0 | 1 => Meta::Bool,
            b => {
                return Err(GgufError::BadMetadata {
                    key: key.into(),
                    reason: format!("boolean byte is {b}, expected 0 or 1"),
                })
            }
        },
        other => {
            return Err(GgufError::UnknownValueType {
                key: key.into(),
                code: other,
            })
        }
    };
    Ok(value)
}

/// Reads an array's element type and length, bounds both, then reads through its elements.
fn read_array<R: Read + Seek>(
    input: &mut Input<R>,
    key: &str,
    depth: u32,
    budget: &mut Budget,
) -> Result<Meta> {
    at_most(
        || format!("array nesting depth of {key}"),
        depth as u64 + 1,
        MAX_ARRAY_DEPTH as u64,
    )?;
    let elem = input.u32(|| format!("element type of array {key}"))?;
    if type_name(elem) == "unknown" {
        return Err(GgufError::UnknownValueType {
            key: key.into(),
            code: elem,
        });
    }
    let len = input.u64(|| format!("length of array {key}"))?;
    at_most(|| format!("length of array {key}"), len, MAX_ARRAY_LEN)?;
    // len ≤ 2^21 and min_size ≤ 12: no overflow.
    input.ensure(len * min_size(elem), || {
        format!("array {key} of {len} {} elements", type_name(elem))
    })?;
    budget.spend(len * VALUE_MEMORY_COST)?;
    read_array_body(input, key, elem, len, depth, budget)?;
    Ok(Meta::Array { elem, len })
}

fn read_array_body<R: Read + Seek>(
    input: &mut Input<R>,
    key: &str,
    elem: u32,
    len: u64,
    depth: u32,
    budget: &mut Budget,
) -> Result<()> {
    let what = || format!("elements of array {key}");
    match elem {
        vt::BOOL => {
            for _ in 0..len {
                let b = input.u8(what)?;
                if b > 1 {
                    return Err(GgufError::BadMetadata {
                        key: key.into(),
                        reason: format!("array holds boolean byte {b}, expected 0 or 1"),
                    });
                }
            }
        }
        vt::STRING => {
            for _ in 0..len {
                let n = input.u64(what)?;
                at_most(
                    || format!("length of a string in array {key}"),
                    n,
                    MAX_STRING_LEN,
                )?;
                budget.spend(n)?;
                input.skip(n, what)?;
            }
        }
        vt::ARRAY => {
            for _ in 0..len {
                read_value(input, key, vt::ARRAY, depth + 1, budget)?;
            }
        }
        fixed => {
            let size = fixed_size(fixed).unwrap_or(1);
            input.skip(len * size, what)?;
        }
    }
    Ok(())
}

impl Metadata {
    /// The value of `key`, if present.
    pub(super) fn get(&self, key: &str) -> Option<&Meta> {
        self.values.get(key).map(|(_, v)| v)
    }

    /// Whether `key` is present, whatever its type.
    pub(super) fn contains(&self, key: &str) -> bool {
        self.values.contains_key(key)
    }

    /// The type name of `key`'s value, for error messages.
    fn type_of(&self, key: &str) -> &'static str {
        self.values
            .get(key)
            .map_or("missing value", |(code, _)| type_name(*code))
    }

    /// An unsigned integer metadata value, if present.
    pub(super) fn uint(&self, key: &str) -> Result<Option<u64>> {
        match self.get(key) {
            None => Ok(None),
            Some(Meta::Unsigned(v)) => Ok(Some(*v)),
            Some(Meta::Signed(v)) if *v >= 0 => Ok(Some(*v as u64)),
            Some(Meta::Signed(v)) => Err(GgufError::BadMetadata {
                key: key.into(),
                reason: format!("value {v} is negative"),
            }),
            Some(_) => Err(GgufError::BadMetadata {
                key: key.into(),
                reason: format!(
                    "expected an unsigned integer, found a {}",
                    self.type_of(key)
                ),
            }),
        }
    }

    /// An unsigned integer in `min..=max`, if present.
    pub(super) fn ranged(&self, key: &str, min: u64, max: u64) -> Result<Option<u64>> {
        let v = self.uint(key)?;
        if let Some(value) = v {
            if value < min || value > max {
                return Err(GgufError::OutOfRange {
                    key: key.into(),
                    value,
                    min,
                    max,
                });
            }
        }
        Ok(v)
    }

    /// A positive finite float, if present.
    pub(super) fn positive_float(&self, key: &str) -> Result<Option<f64>> {
        match self.get(key) {
            None => Ok(None),
            Some(Meta::Float(f)) if f.is_finite() && *f > 0.0 => Ok(Some(*f)),
            Some(Meta::Float(f)) => Err(GgufError::BadMetadata {
                key: key.into(),
                reason: format!("value {f} is not a positive finite number"),
            }),
            Some(_) => Err(GgufError::BadMetadata {
                key: key.into(),
                reason: format!("expected a float, found a {}", self.type_of(key)),
            }),
        }
    }

    /// A string value, if present and short enough to have been kept.
    pub(super) fn kept_string(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            Some(Meta::Str(Some(s))) => Some(s),
            _ => None,
        }
    }

    /// `general.alignment`, checked: candle divides by it, so 0 would panic.
    pub(super) fn alignment(&self) -> Result<u64> {
        const KEY: &str = "general.alignment";
        let Some((code, value)) = self.values.get(KEY) else {
            return Ok(DEFAULT_ALIGNMENT);
        };
        // candle honours only these integer types and silently uses 32 for any other, which would
        // disagree with the layout the writer intended.
        let a = match (*code, value) {
            (vt::U8 | vt::U16 | vt::U32, Meta::Unsigned(v)) => *v,
            (vt::I8 | vt::I16 | vt::I32, Meta::Signed(v)) if *v >= 0 => *v as u64,
            (vt::I8 | vt::I16 | vt::I32, Meta::Signed(v)) => {
                return Err(GgufError::BadMetadata {
                    key: KEY.into(),
                    reason: format!("alignment is negative ({v})"),
                })
            }
            (c, _) => {
                return Err(GgufError::BadMetadata {
                    key: KEY.into(),
                    reason: format!("expected a u32, found a {}", type_name(c)),
                })
            }
        };
        if a == 0 || !a.is_power_of_two() || a > MAX_ALIGNMENT {
            return Err(GgufError::BadAlignment(a));
        }
        Ok(a)
    }

    /// The tokenizer arrays hold strings and the special token ids name real tokens.
    pub(super) fn check_tokenizer(&self, vocab: u64) -> Result<()> {
        for key in ["tokenizer.ggml.tokens", "tokenizer.ggml.merges"] {
            let found = match self.get(key) {
                None
                | Some(Meta::Array {
                    elem: vt::STRING, ..
                }) => continue,
                Some(Meta::Array { elem, .. }) => format!("an array of {}", type_name(*elem)),
                Some(_) => format!("a {}", self.type_of(key)),
            };
            return Err(GgufError::BadMetadata {
                key: key.into(),
                reason: format!("expected an array of strings, found {found}"),
            });
        }
        for id in ["bos", "eos", "unk", "sep", "padding"] {
            let key = format!("tokenizer.ggml.{id}_token_id");
            self.ranged(&key, 0, vocab.saturating_sub(1))?;
        }
        Ok(())
    }
}
