//! Fuzz target for the JSON region file reader (the CSV reader's is `fuzz_csv.rs`).
//!
//! A region file holds members' names, birth dates and plan numbers, so the reader promises more
//! than the others: besides returning (no panic, no hang) with an error of one line without
//! control characters, its errors quote nothing of the file, and so contain none of the members'
//! data, however the file moves it around (a name as a key, a birth date as a time zone, a plan
//! number as a version). The inputs are arbitrary text, and a small generated region mutated as
//! a JSON tree and as text. A region that reads is written back, and reads back the same.
//!
//! The number of cases is `CARETIME_FUZZ_CASES` (64 by default; CI runs more).

use std::sync::OnceLock;

use caretime_core::region::Region;
use caretime_region::file::{RegionFileError, read_region, write_region_json};
use caretime_region::generate::{RegionParams, generate};
use proptest::prelude::*;
use serde_json::{Value, json};

#[path = "../../caretime-core/tests/fuzz_config/mod.rs"]
mod fuzz_config;

use fuzz_config::config;

/// A generated region small enough to read thousands of times: the socal preset at 0.1 %, its
/// first 12 members.
struct Base {
    text: String,
    tree: Value,
    /// Every member's name, birth date and plan number.
    phi: Vec<String>,
}

fn base() -> &'static Base {
    static BASE: OnceLock<Base> = OnceLock::new();
    BASE.get_or_init(|| {
        let mut region = generate(&RegionParams::socal(0.001, 7)).expect("the preset generates");
        region.members.truncate(12);
        let text = json(&region);
        let phi = region
            .members
            .iter()
            .flat_map(|member| {
                [
                    member.name.expose().clone(),
                    member.birth_date.expose().to_string(),
                    member.plan_number.expose().clone(),
                ]
            })
            .collect();
        Base {
            tree: serde_json::from_str(&text).expect("the writer writes JSON"),
            text,
            phi,
        }
    })
}

fn json(region: &Region) -> String {
    let mut out = Vec::new();
    write_region_json(region, &mut out).expect("a read or generated region is writable");
    String::from_utf8(out).expect("JSON is UTF-8")
}

/// Values a mutation puts in a node's place. `phi` picks one of the members' data instead.
fn replacement(pick: usize, phi: &str) -> Value {
    let values = [
        json!(0),
        json!(-1),
        json!(u32::MAX),
        json!(u64::from(u32::MAX) + 1),
        json!(i64::MAX),
        json!(u64::MAX),
        json!(1e308),
        json!(-1e308),
        json!(0.333),
        json!(""),
        json!(" "),
        json!("\u{1b}[2J"),
        json!("a\nb"),
        json!("\u{202e}"),
        json!("24:00"),
        json!("08:00-07:00"),
        json!("9999-12-31"),
        json!("-009999-01-01"),
        json!("Mars/Base"),
        json!("none"),
        json!([]),
        json!({}),
        json!(true),
        json!(null),
        json!(vec!["en"; 1_000]),
        json!("x".repeat(100_000)),
    ];
    if pick % (values.len() + 4) >= values.len() {
        Value::String(phi.to_owned())
    } else {
        values[pick % values.len()].clone()
    }
}

/// Keys a mutation adds: the members' data, text that breaks lines or terminals, and the
/// format's own keys in the wrong place.
fn key(pick: usize, phi: &str) -> String {
    let keys = [
        "\u{1b}[2J",
        "a\nb",
        "id",
        "name",
        "members",
        "mon",
        "birth_date",
    ];
    match pick % (keys.len() + 4) {
        idx if idx < keys.len() => keys[idx].to_owned(),
        idx if idx == keys.len() => "k".repeat(100_000),
        _ => phi.to_owned(),
    }
}

#[derive(Clone, Debug)]
enum Mutation {
    Replace {
        node: usize,
        value: usize,
        phi: usize,
    },
    AddKey {
        node: usize,
        key: usize,
        value: usize,
        phi: usize,
    },
    RemoveKey {
        node: usize,
        key: usize,
    },
    Duplicate {
        node: usize,
        entry: usize,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let n = any::<usize>;
    prop_oneof![
        4 => (n(), n(), n()).prop_map(|(node, value, phi)| Mutation::Replace { node, value, phi }),
        2 => (n(), n(), n(), n())
            .prop_map(|(node, key, value, phi)| Mutation::AddKey { node, key, value, phi }),
        1 => (n(), n()).prop_map(|(node, key)| Mutation::RemoveKey { node, key }),
        1 => (n(), n()).prop_map(|(node, entry)| Mutation::Duplicate { node, entry }),
    ]
}

/// The JSON pointers of every node of `tree`, the root first.
fn pointers(tree: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match tree {
        Value::Object(map) => {
            for (key, value) in map {
                let escaped = key.replace('~', "~0").replace('/', "~1");
                pointers(value, format!("{at}/{escaped}"), out);
            }
        }
        Value::Array(entries) => {
            for (idx, value) in entries.iter().enumerate() {
                pointers(value, format!("{at}/{idx}"), out);
            }
        }
        _ => {}
    }
}

fn mutate(tree: &mut Value, mutation: &Mutation, phi: &[String]) {
    let mut all = Vec::new();
    pointers(tree, String::new(), &mut all);
    let node_at = |node: usize| all[node % all.len()].clone();
    match *mutation {
        Mutation::Replace {
            node,
            value,
            phi: which,
        } => {
            let pointer = node_at(node);
            if let Some(target) = tree.pointer_mut(&pointer) {
                *target = replacement(value, &phi[which % phi.len()]);
            }
        }
        Mutation::AddKey {
            node,
            key: which_key,
            value,
            phi: which,
        } => {
            let pointer = node_at(node);
            if let Some(Value::Object(map)) = tree.pointer_mut(&pointer) {
                let phi = &phi[which % phi.len()];
                map.insert(key(which_key, phi), replacement(value, phi));
            }
        }
        Mutation::RemoveKey { node, key } => {
            let pointer = node_at(node);
            if let Some(Value::Object(map)) = tree.pointer_mut(&pointer)
                && let Some(name) = map.keys().nth(key % map.len().max(1)).cloned()
            {
                map.remove(&name);
            }
        }
        Mutation::Duplicate { node, entry } => {
            let pointer = node_at(node);
            if let Some(Value::Array(entries)) = tree.pointer_mut(&pointer)
                && !entries.is_empty()
            {
                let copy = entries[entry % entries.len()].clone();
                entries.push(copy);
            }
        }
    }
}

/// Cuts or grows the text at a byte offset (on a character boundary).
fn edit_text(text: &mut String, at: usize, inserted: Option<&str>) {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    match inserted {
        Some(inserted) => text.insert_str(at, inserted),
        None => text.truncate(at),
    }
}

/// What the reader promises of `text`.
fn check(text: &str) -> Result<(), TestCaseError> {
    match read_region("fuzz.json", text) {
        Ok(region) => {
            let written = json(&region);
            let reread = read_region("fuzz.json", &written).expect("a written region reads");
            prop_assert_eq!(json(&reread), written);
        }
        Err(RegionFileError::Invalid(err)) => {
            fuzz_config::check_message(&err.to_string(), 1_000, &base().phi)?;
        }
        Err(other) => prop_assert!(false, "reading gave {}", other),
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_reader_takes_any_text(text in "\\PC{0,300}") {
        check(&text)?;
    }

    #[test]
    fn the_reader_takes_mutated_regions(mutations in prop::collection::vec(mutation(), 1..5)) {
        let base = base();
        let mut tree = base.tree.clone();
        for mutation in &mutations {
            mutate(&mut tree, mutation, &base.phi);
        }
        check(&tree.to_string())?;
    }

    #[test]
    fn the_reader_takes_cut_and_spliced_text(
        cuts in prop::collection::vec(
            (any::<usize>(), prop::option::of("\\PC{0,8}|[\\x00-\\x1f\"\\\\{}\\[\\],:]{1,4}|1e999|-0")),
            1..4,
        ),
    ) {
        let mut text = base().text.clone();
        for (at, inserted) in &cuts {
            edit_text(&mut text, *at, inserted.as_deref());
        }
        check(&text)?;
    }
}
