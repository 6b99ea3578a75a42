//! The modules of `tessera-server` and `tessera-app` import each other in one direction only: no
//! module reaches, through others, back to itself. A circle ties modules together so neither can
//! be read, tested or changed alone; this test names the first one it finds.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The crate's modules (a file under `src`, or a folder of them) and the modules each names
/// through `crate::`.
fn imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    collect(src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let rel = file.strip_prefix(src).unwrap();
        let top = rel.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        let text: String = std::fs::read_to_string(file)
            .unwrap()
            .lines()
            .map(|l| l.split("//").next().unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n");
        let named = graph.entry(top.clone()).or_default();
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                // `use crate::{a, b::c}`: the first name of each part.
                let group = &group[..group.find('}').unwrap_or(group.len())];
                for part in group.split(',') {
                    named.insert(first_name(part.trim()));
                }
            } else {
                named.insert(first_name(rest));
            }
        }
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for (module, named) in graph.iter_mut() {
        named.retain(|n| n != module && modules.contains(n));
    }
    graph
}

fn first_name(path: &str) -> String {
    path.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// A circle of imports, as the modules in order, if there is one.
fn circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == m) {
            let mut found = path[at..].to_vec();
            found.push(m.to_string());
            return Some(found);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_string());
        for next in graph.get(m).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(m.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|m| visit(m, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_imports_itself_through_others() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for src in [root.join("src"), root.join("../app/src")] {
        let graph = imports(&src);
        assert!(graph.len() > 10, "modules of {} not found", src.display());
        if let Some(found) = circle(&graph) {
            panic!("an import circle in {}: {}", src.display(), found.join(" -> "));
        }
    }
}

#[test]
fn a_circle_is_found_and_named() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("layout", &["sign_out"][..]),
        ("sign_out", &["api"][..]),
        ("api", &["ctx"][..]),
        ("ctx", &["layout"][..]),
        ("pages", &["layout"][..]),
    ]
    .into_iter()
    .map(|(m, named)| (m.to_string(), named.iter().map(|n| n.to_string()).collect()))
    .collect();
    assert_eq!(circle(&graph).unwrap().join(" -> "), "api -> ctx -> layout -> sign_out -> api");
    let mut open = graph.clone();
    open.get_mut("ctx").unwrap().clear();
    assert_eq!(circle(&open), None);
}
