//! `rename_all` conventions for enum variants turned into label values.

/// The accepted conventions, as written in `#[label(rename_all = "...")]`.
pub(crate) const CONVENTIONS: &[&str] =
    &["snake_case", "lowercase", "UPPERCASE", "SCREAMING_SNAKE_CASE", "kebab-case", "camelCase", "PascalCase"];

/// Splits a PascalCase identifier into words (`HttpGet` → `Http`, `Get`).
fn words(ident: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, c) in ident.char_indices() {
        if c == '_' {
            out.push(String::new());
            continue;
        }
        if c.is_uppercase() && i > 0 && !ident[..i].ends_with('_') {
            out.push(String::new());
        }
        match out.last_mut() {
            Some(w) => w.push(c),
            None => out.push(c.to_string()),
        }
    }
    out.retain(|w| !w.is_empty());
    out
}

/// Applies a convention; `None` if the convention is unknown.
pub(crate) fn apply(convention: &str, ident: &str) -> Option<String> {
    let w = words(ident);
    let lower: Vec<String> = w.iter().map(|s| s.to_lowercase()).collect();
    Some(match convention {
        "snake_case" => lower.join("_"),
        "lowercase" => lower.concat(),
        "UPPERCASE" => lower.concat().to_uppercase(),
        "SCREAMING_SNAKE_CASE" => lower.join("_").to_uppercase(),
        "kebab-case" => lower.join("-"),
        "camelCase" => {
            let mut s = String::new();
            for (i, part) in lower.iter().enumerate() {
                if i == 0 {
                    s.push_str(part);
                } else {
                    s.push_str(&capitalise(part));
                }
            }
            s
        }
        "PascalCase" => lower.iter().map(|p| capitalise(p)).collect(),
        _ => return None,
    })
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
