//! Text many writers share — region, project, store, message — held once per distinct value
//! instead of once per writer. A list decoded inside [`interning`] gives equal strings one
//! allocation between them.

use std::borrow::Borrow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An immutable string, cheap to clone, shared by every writer that has the same value.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SharedStr(Arc<str>);

thread_local! {
    /// The strings seen by the decode running on this thread, while [`interning`] is.
    static INTERNED: RefCell<Option<HashSet<Arc<str>>>> = const { RefCell::new(None) };
}

/// Runs `decode` with interning on: every [`SharedStr`] it deserialises on this thread
/// shares one allocation with the equal ones before it.
pub fn interning<T>(decode: impl FnOnce() -> T) -> T {
    let outer = INTERNED.with(|set| set.borrow_mut().replace(HashSet::new()));
    let decoded = decode();
    INTERNED.with(|set| *set.borrow_mut() = outer);
    decoded
}

impl SharedStr {
    /// `text`, interned when a decode under [`interning`] runs on this thread.
    pub fn interned(text: &str) -> SharedStr {
        INTERNED.with(|set| match set.borrow_mut().as_mut() {
            Some(set) => match set.get(text) {
                Some(shared) => SharedStr(Arc::clone(shared)),
                None => {
                    let shared: Arc<str> = Arc::from(text);
                    set.insert(Arc::clone(&shared));
                    SharedStr(shared)
                }
            },
            None => SharedStr(Arc::from(text)),
        })
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for SharedStr {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SharedStr {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for SharedStr {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl From<&str> for SharedStr {
    fn from(text: &str) -> Self {
        SharedStr(Arc::from(text))
    }
}

impl From<String> for SharedStr {
    fn from(text: String) -> Self {
        SharedStr(Arc::from(text))
    }
}

impl From<SharedStr> for String {
    fn from(text: SharedStr) -> Self {
        text.0.to_string()
    }
}

impl PartialEq<str> for SharedStr {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for SharedStr {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for SharedStr {
    fn eq(&self, other: &String) -> bool {
        &*self.0 == other.as_str()
    }
}

impl Serialize for SharedStr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SharedStr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;

        impl serde::de::Visitor<'_> for Visitor {
            type Value = SharedStr;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<SharedStr, E> {
                Ok(SharedStr::interned(text))
            }
        }

        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_strings_decoded_together_share_one_allocation() {
        let json = r#"["cn-hangzhou", "cn-hangzhou", "cn-beijing", "cn-hangzhou"]"#;
        let together: Vec<SharedStr> = interning(|| serde_json::from_str(json)).unwrap_or_default();
        assert_eq!(together.len(), 4);
        assert!(Arc::ptr_eq(&together[0].0, &together[1].0));
        assert!(Arc::ptr_eq(&together[0].0, &together[3].0));
        assert!(!Arc::ptr_eq(&together[0].0, &together[2].0));
        let apart: Vec<SharedStr> = serde_json::from_str(json).unwrap_or_default();
        assert!(!Arc::ptr_eq(&apart[0].0, &apart[1].0));
        assert_eq!(together, apart);
        assert_eq!(
            serde_json::to_string(&together).ok().as_deref(),
            Some(r#"["cn-hangzhou","cn-hangzhou","cn-beijing","cn-hangzhou"]"#)
        );
    }

    #[test]
    fn escaped_text_decodes_and_interning_ends_with_its_scope() {
        let json = r#"["a\"b", "a\"b"]"#;
        let decoded: Vec<SharedStr> = interning(|| serde_json::from_str(json)).unwrap_or_default();
        assert_eq!(decoded[0], "a\"b");
        assert!(Arc::ptr_eq(&decoded[0].0, &decoded[1].0));
        assert!(INTERNED.with(|set| set.borrow().is_none()));
    }
}
