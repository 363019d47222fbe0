//! Splits a `GET /v1/writers` body into its writers as the bytes arrive, so each writer can be
//! decoded as soon as it is complete, while the rest is still on the way.
//!
//! The scanner knows only JSON's structure: strings (with their escapes), nesting, and the keys
//! of the top-level object. The elements of the top-level `"writers"` array come out one by
//! one, wherever the chunks happen to split them; everything else — the *skeleton*, the
//! document with that array emptied — is kept, for decoding the rest of the list as a whole.
//! The scanner checks only what it relies on (the elements are objects, separated by single
//! commas); serde checks the elements and the skeleton, so nothing reads differently from
//! decoding the whole body at once.

use std::fmt;

/// A body the scanner cannot split, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SplitError {
    /// Byte offset in the body.
    pub offset: u64,
    /// What was wrong there.
    pub problem: &'static str,
}

impl fmt::Display for SplitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.problem, self.offset)
    }
}

impl std::error::Error for SplitError {}

/// What the scanner expects next inside the writers array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InArray {
    /// Just after `[`: a writer or `]`.
    First,
    /// After a writer: `,` or `]`.
    Separator,
    /// After `,`: a writer.
    Next,
    /// Inside a writer.
    Writer,
}

impl InArray {
    /// What was expected, for errors.
    fn expected(self) -> &'static str {
        match self {
            InArray::First => "expected a writer (an object) or `]`",
            InArray::Separator => "expected `,` or `]` after a writer",
            InArray::Next => "expected a writer (an object) after `,`",
            InArray::Writer => "expected the rest of a writer",
        }
    }
}

/// The scanner's state between chunks.
#[derive(Debug, Default)]
pub(crate) struct ListSplitter {
    /// Bytes scanned before the current chunk.
    offset: u64,
    /// Containers open.
    depth: usize,
    in_string: bool,
    /// A backslash in a string ended the last chunk.
    escaped: bool,
    /// The top-level value is an object (only then has it keys).
    top_object: bool,
    /// The text of the string being read or last read at depth 1, raw (escapes undecoded).
    key: Vec<u8>,
    /// The string at depth 1 being read is kept in `key`.
    keeping_key: bool,
    /// The depth-1 value being read belongs to the key `writers`.
    writers_key: bool,
    /// Inside the writers array, and what comes next there.
    array: Option<InArray>,
    /// The writers array was found.
    found: bool,
    /// The start of a writer the last chunk ended in the middle of.
    partial: Vec<u8>,
    /// The document without the writers.
    skeleton: Vec<u8>,
}

impl ListSplitter {
    /// Scans the next `chunk` of the body, handing every writer completed in it to `writer`
    /// (its JSON text, an object). Stops at the first error, the scanner's or `writer`'s.
    pub fn feed<E: From<SplitError>>(
        &mut self,
        chunk: &[u8],
        writer: &mut dyn FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        // Where the current writer started in this chunk, and where the skeleton's current
        // run did.
        let mut writer_start = (self.array == Some(InArray::Writer)).then_some(0);
        let mut run_start = self.array.is_none().then_some(0);
        let mut at = 0;
        while at < chunk.len() {
            if self.in_string {
                at = self.skip_string(chunk, at);
                continue;
            }
            let byte = chunk.get(at).copied().unwrap_or_default();
            let error = |problem| SplitError {
                offset: self.offset + at as u64,
                problem,
            };
            match byte {
                b' ' | b'\n' | b'\r' | b'\t' => {}
                b'"' => {
                    self.in_string = true;
                    self.keeping_key = self.depth == 1 && self.top_object;
                    if self.keeping_key {
                        self.key.clear();
                    }
                    if let Some(next) = self.array.filter(|&next| next != InArray::Writer) {
                        return Err(error(next.expected()).into());
                    }
                }
                b'{' | b'[' => {
                    match self.array {
                        Some(InArray::First | InArray::Next) if byte == b'{' => {
                            self.array = Some(InArray::Writer);
                            writer_start = Some(at);
                        }
                        Some(InArray::Writer) => {}
                        Some(next) => return Err(error(next.expected()).into()),
                        None if self.depth == 0 => self.top_object = byte == b'{',
                        None if self.depth == 1 && byte == b'[' && self.writers_key => {
                            if self.found {
                                return Err(error("the list has two writers arrays").into());
                            }
                            self.found = true;
                            self.array = Some(InArray::First);
                            if let Some(start) = run_start.take() {
                                self.skeleton
                                    .extend_from_slice(chunk.get(start..=at).unwrap_or_default());
                            }
                        }
                        None => {}
                    }
                    self.depth += 1;
                }
                b'}' | b']' => {
                    self.depth = self
                        .depth
                        .checked_sub(1)
                        .ok_or_else(|| error("a bracket closes nothing"))?;
                    match self.array {
                        Some(InArray::Writer) if self.depth == 2 => {
                            let start = writer_start.take().unwrap_or_default();
                            let end = chunk.get(start..=at).unwrap_or_default();
                            self.array = Some(InArray::Separator);
                            if self.partial.is_empty() {
                                writer(end)?;
                            } else {
                                self.partial.extend_from_slice(end);
                                writer(&self.partial)?;
                                self.partial.clear();
                            }
                        }
                        Some(InArray::First | InArray::Separator) if byte == b']' => {
                            self.array = None;
                            run_start = Some(at);
                        }
                        Some(InArray::Writer) => {}
                        Some(next) => return Err(error(next.expected()).into()),
                        None => {}
                    }
                }
                b',' => match self.array {
                    Some(InArray::Separator) => self.array = Some(InArray::Next),
                    Some(InArray::Writer) => {}
                    Some(next) => return Err(error(next.expected()).into()),
                    None if self.depth == 1 => self.writers_key = false,
                    None => {}
                },
                b':' if self.depth == 1 && self.array.is_none() => {
                    self.writers_key = is_writers(&self.key);
                }
                _ => match self.array {
                    Some(InArray::Writer) | None => {}
                    Some(next) => return Err(error(next.expected()).into()),
                },
            }
            at += 1;
        }
        if let Some(start) = writer_start {
            self.partial
                .extend_from_slice(chunk.get(start..).unwrap_or_default());
        }
        if let Some(start) = run_start {
            self.skeleton
                .extend_from_slice(chunk.get(start..).unwrap_or_default());
        }
        self.offset += chunk.len() as u64;
        Ok(())
    }

    /// Moves through a string from `at` to just past its closing quote, or to the end of the
    /// chunk; returns where it stopped.
    fn skip_string(&mut self, chunk: &[u8], mut at: usize) -> usize {
        let start = at;
        if self.escaped {
            self.escaped = false;
            at += 1;
        }
        while let Some(rest) = chunk.get(at..) {
            match quote_or_backslash(rest) {
                Some(found) if rest.get(found) == Some(&b'\\') => {
                    at += found + 2;
                    if at > chunk.len() {
                        self.escaped = true;
                    }
                }
                Some(found) => {
                    at += found + 1;
                    self.in_string = false;
                    break;
                }
                None => {
                    at = chunk.len();
                    break;
                }
            }
        }
        let at = at.min(chunk.len());
        if self.keeping_key {
            let end = if self.in_string { at } else { at - 1 };
            self.key
                .extend_from_slice(chunk.get(start..end.max(start)).unwrap_or_default());
        }
        at
    }

    /// Whether the writers array was found and closed, and the document ended.
    pub fn finish(self) -> Result<Skeleton, SplitError> {
        let incomplete = |problem| SplitError {
            offset: self.offset,
            problem,
        };
        if self.in_string || self.depth > 0 {
            return Err(incomplete("the list ends in the middle"));
        }
        Ok(Skeleton {
            text: self.skeleton,
            writers_split: self.found,
        })
    }
}

/// The document without its writers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Skeleton {
    /// The body with the writers array emptied (or whole, when it had none).
    pub text: Vec<u8>,
    /// Whether the writers were split out (else the skeleton is the whole body).
    pub writers_split: bool,
}

/// Where the first `"` or `\\` of `bytes` is: eight bytes at a time (most of a list is the
/// text inside strings, which is skipped here).
fn quote_or_backslash(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    const QUOTES: u64 = u64::from_le_bytes([b'"'; 8]);
    const BACKSLASHES: u64 = u64::from_le_bytes([b'\\'; 8]);
    let (words, tail) = bytes.as_chunks::<8>();
    for (index, word) in words.iter().enumerate() {
        let word = u64::from_le_bytes(*word);
        let (quotes, backslashes) = (word ^ QUOTES, word ^ BACKSLASHES);
        // The high bit of each zero byte (a match), and possibly of bytes after one: the
        // lowest set bit is the first match.
        let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
        let found = zero(quotes) | zero(backslashes);
        if found != 0 {
            return Some(index * 8 + (found.trailing_zeros() / 8) as usize);
        }
    }
    let before = words.len() * 8;
    tail.iter()
        .position(|&b| b == b'"' || b == b'\\')
        .map(|at| before + at)
}

/// Whether the raw key text (between the quotes, escapes undecoded) says `writers`.
fn is_writers(raw: &[u8]) -> bool {
    if !raw.contains(&b'\\') {
        return raw == b"writers";
    }
    let mut quoted = Vec::with_capacity(raw.len() + 2);
    quoted.push(b'"');
    quoted.extend_from_slice(raw);
    quoted.push(b'"');
    serde_json::from_slice::<String>(&quoted).is_ok_and(|key| key == "writers")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;

    /// Splits `body` fed in `chunks`: the writers as JSON values, and the skeleton.
    fn split(chunks: &[&[u8]]) -> Result<(Vec<Value>, Skeleton), String> {
        let mut splitter = ListSplitter::default();
        let mut writers = Vec::new();
        for chunk in chunks {
            splitter.feed(chunk, &mut |text: &[u8]| -> Result<(), String> {
                writers.push(serde_json::from_slice(text).map_err(|e| e.to_string())?);
                Ok(())
            })?;
        }
        let skeleton = splitter.finish().map_err(|e| e.to_string())?;
        Ok((writers, skeleton))
    }

    fn whole(body: &str) -> Result<(Vec<Value>, Skeleton), String> {
        split(&[body.as_bytes()])
    }

    const TRICKY: &str = r#" { "revision" : 7 , "note": "a \"writers\": [ { } ] \\",
        "writers" : [ {"id":"a}\"]","name":"x\\","nested":{"writers":[{"deep":[1,[2]]}]},"k":"é€"} ,
        {"id":"b","escapes":"\u0022\\\/\b\f\n\r\t","n":-1.5e3,"t":true,"f":false,"z":null},{} ] ,
        "after" : [ "]" , { "x" : "}" } ] } "#;

    #[test]
    fn writers_come_out_wherever_the_chunks_split_them() {
        let body = TRICKY.as_bytes();
        let expected: Value = serde_json::from_str(TRICKY).unwrap_or_default();
        let writers = expected["writers"].as_array().cloned().unwrap_or_default();
        let mut skeleton = expected.clone();
        skeleton["writers"] = json!([]);
        assert_eq!(writers.len(), 3);
        for first in 0..=body.len() {
            for second in first..=body.len() {
                let (a, rest) = body.split_at(first);
                let (b, c) = rest.split_at(second - first);
                let split = split(&[a, b, c]);
                let Ok((got, got_skeleton)) = split else {
                    panic!("{first}/{second}: {split:?}");
                };
                assert_eq!(got, writers, "split at {first} and {second}");
                assert!(got_skeleton.writers_split);
                let got_skeleton: Value =
                    serde_json::from_slice(&got_skeleton.text).unwrap_or_default();
                assert_eq!(got_skeleton, skeleton, "split at {first} and {second}");
            }
        }
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(split(&bytes).map(|(w, _)| w), Ok(writers));
    }

    #[test]
    fn the_writers_key_may_be_escaped_and_anywhere() {
        let (writers, skeleton) =
            whole(r#"{"writ\u0065rs":[{"id":"a"}],"revision":1}"#).unwrap_or_default();
        assert_eq!(writers, vec![json!({"id": "a"})]);
        assert_eq!(skeleton.text, br#"{"writ\u0065rs":[],"revision":1}"#);
        let empty = whole(r#"{"revision":1,"writers":[ ]}"#).map(|(w, s)| (w.len(), s.text));
        assert_eq!(empty, Ok((0, br#"{"revision":1,"writers":[]}"#.to_vec())));
    }

    #[test]
    fn a_body_without_a_writers_array_is_all_skeleton() {
        for body in [
            r#"[1, {"writers": [{"id": "a"}]}]"#,
            r#"{"revision":1,"writers":null}"#,
            r#"{"revision":1,"writer":[{"id":"a"}]}"#,
            r#"{"revision":1,"x":{"writers":[{"id":"a"}]}}"#,
            "",
        ] {
            let (writers, skeleton) = whole(body).unwrap_or_default();
            assert!(writers.is_empty(), "{body}");
            assert!(!skeleton.writers_split, "{body}");
            assert_eq!(skeleton.text, body.as_bytes());
        }
    }

    #[test]
    fn malformed_lists_are_refused_saying_what_and_where() {
        let cases = [
            (
                r#"{"writers":[1]}"#,
                "expected a writer (an object) or `]` at byte 12",
            ),
            (
                r#"{"writers":["a"]}"#,
                "expected a writer (an object) or `]` at byte 12",
            ),
            (
                r#"{"writers":[{},]}"#,
                "expected a writer (an object) after `,` at byte 15",
            ),
            (
                r#"{"writers":[,{}]}"#,
                "expected a writer (an object) or `]` at byte 12",
            ),
            (
                r#"{"writers":[{} {}]}"#,
                "expected `,` or `]` after a writer at byte 15",
            ),
            (
                r#"{"writers":[{}}"#,
                "expected `,` or `]` after a writer at byte 14",
            ),
            (
                r#"{"writers":[{}],"writers":[]}"#,
                "the list has two writers arrays at byte 26",
            ),
            (
                r#"{"writers":[{}]}]"#,
                "a bracket closes nothing at byte 16",
            ),
            (
                r#"{"writers":[{"id":"a}"#,
                "the list ends in the middle at byte 21",
            ),
            (
                r#"{"writers":[{"id":"a\"#,
                "the list ends in the middle at byte 21",
            ),
        ];
        for (body, message) in cases {
            assert_eq!(whole(body).err().as_deref(), Some(message), "{body}");
        }
    }

    #[test]
    fn a_writer_refused_by_the_caller_stops_the_scan() {
        let mut splitter = ListSplitter::default();
        let mut seen = 0;
        let result = splitter.feed(
            br#"{"writers":[{"id":"a"},{"id":"b"},{"id":"c"}]}"#,
            &mut |text: &[u8]| {
                seen += 1;
                if text == br#"{"id":"b"}"# {
                    Err(format!("writer {seen} is bad"))
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!(result, Err("writer 2 is bad".to_string()));
        assert_eq!(seen, 2);
    }

    proptest! {
        #[test]
        fn quotes_and_backslashes_are_found_eight_bytes_at_a_time(
            bytes in proptest::collection::vec(
                prop_oneof![Just(b'"'), Just(b'\\'), any::<u8>(), Just(b'"' ^ 0x80), Just(b'"' - 1)],
                0..40,
            ),
            filler in 0usize..30,
        ) {
            let mut text = vec![b'a'; filler];
            text.extend(bytes);
            let expected = text.iter().position(|&b| b == b'"' || b == b'\\');
            prop_assert_eq!(quote_or_backslash(&text), expected);
        }
    }

    impl From<SplitError> for String {
        fn from(error: SplitError) -> String {
            error.to_string()
        }
    }
}
