//! The dependency rule of the crate docs, checked against the crate's own
//! sources: every `.rs` file under `src/` is read as Rust tokens (so comments
//! and string literals never count), and every path in it is collected, use
//! groups included (`use std::{fs, io}` is `std::fs` and `std::io`), as are
//! paths in expressions and macro arguments (`std::fs::read(..)`).
//!
//! - The pure layers (`goal/`, `core/`) name no I/O, clock, thread or process
//!   facility, in their tests either ([`impurity`]).
//! - A folder imports only the folders its layer may ([`LAYERS`]).
//! - No file imports, through any chain of others, itself.
//!
//! The last two are about the program: a unit test module (the part of a
//! file from its `#[cfg(test)]` item on, and files named `tests.rs` or under
//! a `tests/` folder) may use any module as a fixture, as the tests in
//! `tests/` do, and nothing imports a test module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::str::FromStr;

use proc_macro2::{Delimiter, TokenStream, TokenTree};

const EDGES: &[&str] = &[
    "agent",
    "ledger",
    "audit",
    "control",
    "terminal",
    "sim",
    "workspace",
];

/// Each folder (or top-level file) of `src/`, bottom up, with the layers
/// below it that it may import. A folder imports only what is listed before it.
const LAYERS: &[(&str, &[&str])] = &[
    ("goal", &[]),
    ("core", &["goal"]),
    ("agent", &["goal", "core"]),
    ("ledger", &["goal", "core"]),
    ("audit", &["goal", "core"]),
    ("control", &["goal", "core"]),
    ("terminal", &["goal", "core"]),
    ("sim", &["goal", "core"]),
    ("workspace", &["goal", "core"]),
    ("config_file", &["goal", "core", "edges"]),
    ("error", &["goal", "core", "edges", "config_file"]),
    (
        "runtime",
        &["goal", "core", "edges", "config_file", "error"],
    ),
    (
        "cli",
        &["goal", "core", "edges", "config_file", "error", "runtime"],
    ),
    ("lib", &["cli", "error"]),
];

/// The folders the pure layers live in.
const PURE: &[&str] = &["goal", "core"];

/// One file of `src/`: its module path and its tokens, split into the
/// program's part and the unit tests' part.
struct Module {
    path: Vec<String>,
    program: TokenStream,
    tests: TokenStream,
}

impl Module {
    fn name(&self) -> String {
        self.path.join("::")
    }

    /// The folder (or top-level file) the module is in.
    fn folder(&self) -> &str {
        self.path.first().map_or("lib", String::as_str)
    }
}

fn modules() -> Vec<Module> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect_files(&src, &mut files);
    let mut modules = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap().with_extension("");
        let mut path: Vec<String> = relative
            .iter()
            .map(|part| part.to_string_lossy().into_owned())
            .collect();
        if path == ["main"] {
            continue; // The binary, not part of the library's module tree.
        }
        if matches!(path.last().map(String::as_str), Some("mod" | "lib")) {
            path.pop();
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let tokens = TokenStream::from_str(&text)
            .unwrap_or_else(|err| panic!("{}: {err:?}", file.display()));
        let (program, tests) = if path.iter().any(|part| part == "tests") {
            (TokenStream::new(), tokens)
        } else {
            split_tests(tokens)
        };
        modules.push(Module {
            path,
            program,
            tests,
        });
    }
    // A file declared under `#[cfg(test)]` (`mod layers;` in lib.rs) is test code.
    let test_children: BTreeSet<Vec<String>> = modules
        .iter()
        .flat_map(|m| {
            declared_modules(m.tests.clone())
                .into_iter()
                .map(|child| [m.path.clone(), vec![child]].concat())
        })
        .collect();
    for module in &mut modules {
        if test_children.contains(&module.path) {
            module.tests = std::mem::take(&mut module.program)
                .into_iter()
                .chain(module.tests.clone())
                .collect();
        }
    }
    modules
}

/// The names of `mod NAME;` declarations among the tokens.
fn declared_modules(tokens: TokenStream) -> Vec<String> {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    tokens
        .windows(3)
        .filter_map(|w| match w {
            [
                TokenTree::Ident(m),
                TokenTree::Ident(name),
                TokenTree::Punct(p),
            ] if m == "mod" && p.as_char() == ';' => Some(name.to_string()),
            _ => None,
        })
        .collect()
}

fn collect_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
    out.sort();
}

/// The top-level items of a file split into the program's and the items
/// under `#[cfg(test)]` (from the attribute to the item's `;` or body).
fn split_tests(tokens: TokenStream) -> (TokenStream, TokenStream) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let (mut program, mut tests) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < tokens.len() {
        let is_test_attribute = matches!(&tokens[i], TokenTree::Punct(p) if p.as_char() == '#')
            && matches!(tokens.get(i + 1), Some(TokenTree::Group(g))
                if g.delimiter() == Delimiter::Bracket
                    && g.stream().to_string().replace(' ', "") == "cfg(test)");
        if !is_test_attribute {
            program.push(tokens[i].clone());
            i += 1;
            continue;
        }
        while i < tokens.len() {
            let end = match &tokens[i] {
                TokenTree::Punct(p) => p.as_char() == ';',
                TokenTree::Group(g) => g.delimiter() == Delimiter::Brace,
                _ => false,
            };
            tests.push(tokens[i].clone());
            i += 1;
            if end {
                break;
            }
        }
    }
    (program.into_iter().collect(), tests.into_iter().collect())
}

/// Every path in the tokens, as its segments: `a::b::C`, each leaf of a use
/// group (`use a::{b, c::D}` gives `a::b` and `a::c::D`), and a lone name
/// after `use`. Generic arguments end a path (`x::y::<T>::z` is `x::y`).
fn paths(tokens: TokenStream) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    collect_paths(tokens, &[], &mut out);
    out
}

fn collect_paths(tokens: TokenStream, prefix: &[String], out: &mut Vec<Vec<String>>) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let is_colons = |i: usize| {
        matches!((tokens.get(i), tokens.get(i + 1)),
            (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
                if a.as_char() == ':' && b.as_char() == ':')
    };
    let mut i = 0;
    let mut after_use = false;
    while i < tokens.len() {
        match &tokens[i] {
            TokenTree::Group(group) => {
                collect_paths(group.stream(), &[], out);
                i += 1;
            }
            TokenTree::Ident(ident) if ident == "use" => {
                after_use = true;
                i += 1;
            }
            // `a as b`: `b` is a new name, not a path.
            TokenTree::Ident(ident) if ident == "as" => i += 2,
            TokenTree::Ident(ident) => {
                let mut segments = prefix.to_vec();
                segments.push(ident.to_string());
                i += 1;
                let mut grouped = false;
                while is_colons(i) {
                    match tokens.get(i + 2) {
                        Some(TokenTree::Ident(next)) => {
                            segments.push(next.to_string());
                            i += 3;
                        }
                        Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Brace => {
                            // A use group: each comma-separated leaf under this prefix.
                            for leaf in split_commas(group.stream()) {
                                collect_paths(leaf, &segments, out);
                            }
                            grouped = true;
                            i += 3;
                            break;
                        }
                        _ => break,
                    }
                }
                if !grouped && (segments.len() > 1 || after_use || !prefix.is_empty()) {
                    out.push(segments);
                }
                after_use = false;
            }
            _ => {
                after_use = false;
                i += 1;
            }
        }
    }
}

fn split_commas(tokens: TokenStream) -> Vec<TokenStream> {
    let mut parts = vec![Vec::new()];
    for token in tokens {
        match &token {
            TokenTree::Punct(p) if p.as_char() == ',' => parts.push(Vec::new()),
            _ => parts.last_mut().unwrap().push(token),
        }
    }
    parts
        .into_iter()
        .filter(|part| !part.is_empty())
        .map(|part| part.into_iter().collect())
        .collect()
}

/// Why a path names something impure, if it does.
fn impurity(path: &[String]) -> Option<&'static str> {
    let segment = |i: usize| path.get(i).map(String::as_str);
    let io_crates = [
        "tokio",
        "rusqlite",
        "rusqlite_migration",
        "postgres",
        "portable_pty",
        "notify",
        "nix",
        "libc",
        "getrandom",
        "dirs",
        "tempfile",
    ];
    if let Some(name) = io_crates.into_iter().find(|c| segment(0) == Some(c)) {
        return Some(name);
    }
    if segment(0) == Some("std") {
        match segment(1) {
            Some("fs") => return Some("std::fs"),
            Some("process") => return Some("std::process"),
            Some("net") => return Some("std::net"),
            Some("thread") => return Some("std::thread"),
            Some("env") => return Some("std::env"),
            Some("os") => return Some("std::os"),
            Some("io") if matches!(segment(2), Some("stdin" | "stdout" | "stderr")) => {
                return Some("the process's standard streams");
            }
            _ => {}
        }
    }
    if path.iter().any(|s| s == "SystemTime" || s == "Instant") {
        return Some("the clock (SystemTime, Instant)");
    }
    if path
        .windows(2)
        .any(|w| matches!(w[0].as_str(), "Zoned" | "Timestamp") && w[1] == "now")
    {
        return Some("the clock (jiff's now)");
    }
    None
}

/// The module a path names (the longest prefix that is a module), if it is
/// one of the crate's other than `from` itself.
fn target(from: &Module, path: &[String], known: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    let mut base: Vec<String> = match path.first().map(String::as_str) {
        Some("crate") => Vec::new(),
        Some("self") => from.path.clone(),
        Some("super") => from.path.clone(),
        Some(first) => {
            // A path from a child module declared here (`store::Entry` in ledger/mod.rs).
            let mut child = from.path.clone();
            child.push(first.to_string());
            if !known.contains(&child) {
                return None;
            }
            from.path.clone()
        }
        None => return None,
    };
    let mut rest = match path.first().map(String::as_str) {
        Some("crate" | "self") => &path[1..],
        _ => path,
    };
    while rest.first().is_some_and(|s| s == "super") {
        base.pop();
        rest = &rest[1..];
    }
    let mut found = known.contains(&base).then(|| base.clone());
    for segment in rest {
        base.push(segment.clone());
        if !known.contains(&base) {
            break;
        }
        found = Some(base.clone());
    }
    found.filter(|module| *module != from.path)
}

/// The imports between the crate's modules, by the program's code (test
/// modules are left out: nothing imports them).
fn graph(modules: &[Module]) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let known: BTreeSet<Vec<String>> = modules.iter().map(|m| m.path.clone()).collect();
    let mut graph = BTreeMap::new();
    for module in modules.iter().filter(|m| !m.program.is_empty()) {
        let edges: BTreeSet<Vec<String>> = paths(module.program.clone())
            .iter()
            .filter_map(|path| target(module, path, &known))
            .collect();
        graph.insert(module.path.clone(), edges);
    }
    graph
}

/// The strongly connected components of more than one node (Tarjan).
fn cycles<N: Ord + Clone>(graph: &BTreeMap<N, BTreeSet<N>>) -> Vec<Vec<N>> {
    struct Walk<'a, N> {
        graph: &'a BTreeMap<N, BTreeSet<N>>,
        index: BTreeMap<N, usize>,
        low: BTreeMap<N, usize>,
        stack: Vec<N>,
        found: Vec<Vec<N>>,
    }
    fn visit<N: Ord + Clone>(walk: &mut Walk<'_, N>, node: &N) {
        let n = walk.index.len();
        walk.index.insert(node.clone(), n);
        walk.low.insert(node.clone(), n);
        walk.stack.push(node.clone());
        for next in walk.graph.get(node).into_iter().flatten() {
            if !walk.index.contains_key(next) {
                visit(walk, next);
                let low = walk.low[node].min(walk.low[next]);
                walk.low.insert(node.clone(), low);
            } else if walk.stack.contains(next) {
                let low = walk.low[node].min(walk.index[next]);
                walk.low.insert(node.clone(), low);
            }
        }
        if walk.low[node] == walk.index[node] {
            let at = walk.stack.iter().position(|n| n == node).unwrap();
            let component = walk.stack.split_off(at);
            if component.len() > 1 {
                walk.found.push(component);
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !walk.index.contains_key(node) {
            visit(&mut walk, node);
        }
    }
    walk.found
}

fn allowed(from: &str, to: &str) -> bool {
    let Some((_, below)) = LAYERS.iter().find(|(name, _)| *name == from) else {
        return false;
    };
    below.contains(&to) || (below.contains(&"edges") && EDGES.contains(&to))
}

#[test]
fn the_pure_layers_touch_no_io_clock_thread_or_process() {
    let mut found = Vec::new();
    for module in modules().iter().filter(|m| PURE.contains(&m.folder())) {
        let code: TokenStream = module
            .program
            .clone()
            .into_iter()
            .chain(module.tests.clone())
            .collect();
        for path in paths(code) {
            if let Some(what) = impurity(&path) {
                found.push(format!("{}: {} ({what})", module.name(), path.join("::")));
            }
        }
    }
    assert!(
        found.is_empty(),
        "goal/ and core/ are pure; move I/O to an edge:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_folder_imports_only_the_layers_below_it() {
    let modules = modules();
    let folder_of = |path: &[String]| path.first().cloned().unwrap_or_else(|| "lib".into());
    let mut found = Vec::new();
    for (from, targets) in graph(&modules) {
        let from_folder = folder_of(&from);
        if !LAYERS.iter().any(|(name, _)| *name == from_folder) {
            found.push(format!("{from_folder}: not in LAYERS; give it a layer"));
        }
        for to in targets {
            let to_folder = folder_of(&to);
            if to_folder != from_folder && !allowed(&from_folder, &to_folder) {
                found.push(format!("{} imports {}", from.join("::"), to.join("::")));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn no_module_imports_itself_through_others() {
    let modules = modules();
    let graph = graph(&modules);
    let files: Vec<String> = cycles(&graph)
        .iter()
        .map(|cycle| {
            cycle
                .iter()
                .map(|m| m.join("::"))
                .collect::<Vec<_>>()
                .join(" -> ")
        })
        .collect();
    assert!(files.is_empty(), "import cycles:\n{}", files.join("\n"));
    let mut folders: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, targets) in &graph {
        let from = from.first().cloned().unwrap_or_default();
        let entry = folders.entry(from.clone()).or_default();
        entry.extend(
            targets
                .iter()
                .map(|to| to.first().cloned().unwrap_or_default())
                .filter(|to| *to != from),
        );
    }
    assert_eq!(cycles(&folders), Vec::<Vec<String>>::new());
}

#[test]
fn each_layer_names_only_layers_below_it() {
    for (i, (name, below)) in LAYERS.iter().enumerate() {
        for dependency in *below {
            let earlier = *dependency == "edges"
                || LAYERS[..i].iter().any(|(earlier, _)| earlier == dependency);
            assert!(earlier, "{name} names {dependency}, which is not below it");
        }
    }
}

#[test]
fn the_reader_finds_paths_in_use_groups_expressions_and_macros_only() {
    let found = |text: &str| -> Vec<String> {
        paths(TokenStream::from_str(text).unwrap())
            .iter()
            .map(|p| p.join("::"))
            .collect()
    };
    assert_eq!(
        found("use std::{fs, io::{self, Read}}; use tokio;"),
        ["std::fs", "std::io::self", "std::io::Read", "tokio"]
    );
    assert_eq!(
        found("fn f() { let _ = std::fs::read(\"x\"); assert!(crate::core::x::y()); }"),
        ["std::fs::read", "crate::core::x::y"]
    );
    assert_eq!(
        found("// std::fs::read\n/// std::net\nconst A: &str = \"std::process\";"),
        Vec::<String>::new()
    );
    assert_eq!(
        found("let v = Vec::<u8>::new(); let w = x::y::<T>();"),
        ["x::y"]
    );
    for impure in [
        "use std::fs;",
        "use std::{io, process::Command};",
        "fn f() { std::thread::sleep(d) }",
        "use std::time::{Duration, Instant};",
        "let t = jiff::Timestamp::now();",
        "use rusqlite::Connection;",
    ] {
        let code = TokenStream::from_str(impure).unwrap();
        assert!(
            paths(code).iter().any(|p| impurity(p).is_some()),
            "{impure}"
        );
    }
    let pure =
        TokenStream::from_str("use std::time::Duration; use std::io::Error; use jiff::Zoned;");
    assert!(paths(pure.unwrap()).iter().all(|p| impurity(p).is_none()));
}

#[test]
fn test_modules_are_split_off() {
    let (program, tests) = split_tests(
        TokenStream::from_str("use a::b; #[cfg(test)] mod tests { use std::fs; } fn c() {}")
            .unwrap(),
    );
    assert_eq!(program.to_string(), "use a :: b ; fn c () { }");
    assert!(tests.to_string().contains("std :: fs"));
}
