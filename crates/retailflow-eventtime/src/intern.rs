//! Name interning: store ids, categories and item names become small `u32` ids per engine, so window
//! state keys are integers and a record costs no `String` clones. Also the fast, deterministic hasher
//! those integer-keyed maps use.
//!
//! Names of up to 16 bytes (nearly all of them: `S001`, `Item_17_MILK`) are looked up by a key of
//! two words and their length, compared as integers; longer ones by their text.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A multiply-rotate hasher (the one rustc uses internally): fast on short keys, deterministic
/// across runs. Not resistant to deliberate collisions, which is fine for engine-private keys.
#[derive(Debug, Default, Clone, Copy)]
pub struct FastHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, value: u8) {
        self.add(u64::from(value));
    }

    #[inline]
    fn write_u32(&mut self, value: u32) {
        self.add(u64::from(value));
    }

    #[inline]
    fn write_u64(&mut self, value: u64) {
        self.add(value);
    }

    #[inline]
    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A `HashMap` using [`FastHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// Maps names to dense ids `0, 1, 2, …` in first-seen order, and back.
#[derive(Debug, Clone, Default)]
pub struct Interner {
    /// Ids of the names of up to 16 bytes, by [`short_key`].
    short: FastMap<(u64, u64, u8), u32>,
    /// Ids of the longer names.
    long: FastMap<Box<str>, u32>,
    names: Vec<Box<str>>,
}

/// The eight bytes of `bytes` from `at` as a word.
#[inline]
fn word(bytes: &[u8], at: usize) -> u64 {
    let mut eight = [0u8; 8];
    eight.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(eight)
}

/// The four bytes of `bytes` from `at` as a word.
#[inline]
fn half_word(bytes: &[u8], at: usize) -> u64 {
    let mut four = [0u8; 4];
    four.copy_from_slice(&bytes[at..at + 4]);
    u64::from(u32::from_le_bytes(four))
}

/// A key that tells every name of up to 16 bytes from every other: its length, and its first and
/// last eight bytes (which overlap in a name shorter than 16, and between them hold every byte),
/// or for a shorter name its first and last four, or its bytes; `None` for longer names.
#[inline]
fn short_key(name: &str) -> Option<(u64, u64, u8)> {
    let bytes = name.as_bytes();
    let length = bytes.len();
    let words = match length {
        0..4 => (
            bytes
                .iter()
                .enumerate()
                .fold(0, |word, (at, &byte)| word | u64::from(byte) << (8 * at)),
            0,
        ),
        4..8 => (half_word(bytes, 0) | half_word(bytes, length - 4) << 32, 0),
        8..=16 => (word(bytes, 0), word(bytes, length - 8)),
        _ => return None,
    };
    Some((words.0, words.1, length as u8))
}

impl Interner {
    /// An interner that already knows `names`, with ids in their order. Returns `None` if a name
    /// repeats.
    pub fn from_names(names: Vec<String>) -> Option<Self> {
        let mut interner = Interner::default();
        for name in names {
            let before = interner.names.len();
            interner.intern(&name);
            if interner.names.len() == before {
                return None;
            }
        }
        Some(interner)
    }

    /// The id of `name`, giving it the next id if it is new.
    #[inline]
    pub fn intern(&mut self, name: &str) -> u32 {
        let next = self.names.len() as u32;
        let id = match short_key(name) {
            Some(key) => *self.short.entry(key).or_insert(next),
            None => match self.long.get(name) {
                Some(&id) => id,
                None => {
                    self.long.insert(name.into(), next);
                    next
                }
            },
        };
        if id == next {
            self.names.push(name.into());
        }
        id
    }

    /// The name of `id`; ids come only from [`Interner::intern`], so unknown ids read as empty.
    #[inline]
    pub fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("", |name| name)
    }

    /// How many names are interned.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether no name is interned.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Every name, in id order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(|name| &**name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn ids_are_dense_in_first_seen_order_and_map_back() {
        let mut interner = Interner::default();
        assert_eq!(interner.intern("store-7"), 0);
        assert_eq!(interner.intern("store-2"), 1);
        assert_eq!(interner.intern("store-7"), 0);
        assert_eq!(interner.name(1), "store-2");
        assert_eq!(interner.names().collect::<Vec<_>>(), ["store-7", "store-2"]);
        let rebuilt = Interner::from_names(vec!["store-7".into(), "store-2".into()]).unwrap();
        assert_eq!(rebuilt.name(0), "store-7");
        assert!(Interner::from_names(vec!["a".into(), "a".into()]).is_none());
    }

    #[test]
    fn names_of_every_length_are_told_apart() {
        // Every length from 0 to 40, each name next to ones differing in one byte anywhere, with a
        // NUL byte where a shorter name's padding would be.
        let mut interner = Interner::default();
        let mut names = Vec::new();
        for length in 0..=40usize {
            let base: String = (0..length)
                .map(|at| char::from(b'a' + (at % 26) as u8))
                .collect();
            names.push(base.clone());
            for at in 0..length {
                let mut bytes = base.clone().into_bytes();
                bytes[at] = b'Z';
                names.push(String::from_utf8(bytes).unwrap());
            }
            names.push(format!("{base}\0"));
        }
        names.sort();
        names.dedup();
        let ids: Vec<u32> = names.iter().map(|name| interner.intern(name)).collect();
        assert_eq!(ids, (0..names.len() as u32).collect::<Vec<_>>());
        for (id, name) in names.iter().enumerate() {
            assert_eq!(interner.intern(name), id as u32);
            assert_eq!(interner.name(id as u32), name);
        }
    }

    #[test]
    fn hashes_are_the_same_in_every_run_and_tell_short_keys_apart() {
        let build = BuildHasherDefault::<FastHasher>::default();
        assert_eq!(
            build.hash_one("Item_17_MILK"),
            build.hash_one("Item_17_MILK")
        );
        assert_ne!(build.hash_one("a"), build.hash_one("a\0"));
        assert_ne!(build.hash_one(1u64), build.hash_one(2u64));
    }
}
