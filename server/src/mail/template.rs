//! The template engine every mail goes through, Tessera's defaults and an organisation's own
//! alike: MiniJinja in a sandbox made for templates written by people who are not trusted with
//! the server. There is no loader (no file, include or import), no global function, only a short
//! list of filters (no `safe`, so nothing a person typed can become markup), an error for every
//! variable that is not given, HTML escaped in the HTML body, a fuel budget that bounds both the
//! work and the memory of one render, and an output limit per part.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior, Value};

/// The three parts of a mail a template gives.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parts {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Which part of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Subject,
    Text,
    Html,
}

impl Part {
    pub const ALL: [Part; 3] = [Part::Subject, Part::Text, Part::Html];

    /// As the form names its field.
    pub fn field(self) -> &'static str {
        match self {
            Part::Subject => "subject",
            Part::Text => "text",
            Part::Html => "html",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Part::Subject => "Subject",
            Part::Text => "Plain-text body",
            Part::Html => "HTML body",
        }
    }

    /// The longest source a person may save, in characters.
    pub fn max_source(self) -> usize {
        match self {
            Part::Subject => 300,
            Part::Text | Part::Html => 20_000,
        }
    }

    /// The longest a rendered part may be, in bytes.
    pub fn max_output(self) -> usize {
        match self {
            Part::Subject => 500,
            Part::Text | Part::Html => 100_000,
        }
    }

    fn source(self, parts: &Parts) -> &str {
        match self {
            Part::Subject => &parts.subject,
            Part::Text => &parts.text,
            Part::Html => &parts.html,
        }
    }

    /// The name the engine knows the part by; `.html` turns on HTML escaping.
    fn name(self) -> &'static str {
        match self {
            Part::Subject => "subject.txt",
            Part::Text => "body.txt",
            Part::Html => "body.html",
        }
    }
}

/// The kinds of template the engine cannot read or run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreadable {
    Syntax,
    UnknownFilter,
    UnknownTest,
    Operation,
}

/// Why a template cannot be saved or rendered: which part, on which line, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub part: Part,
    pub line: Option<usize>,
    pub reason: Reason,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    Empty,
    TooLong,
    /// Variables the mail does not have, and the ones it does.
    UnknownVariable {
        name: String,
        known: Vec<&'static str>,
    },
    MissingRequired(&'static str),
    /// The subject uses the one-time code: phones show subjects on the lock screen.
    CodeInSubject,
    /// What the engine could not read or do, and its own words for it.
    Syntax(Unreadable, String),
    OutputTooLarge,
    TooMuchWork,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.part.label())?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        write!(f, ": ")?;
        match &self.reason {
            Reason::Empty => write!(f, "it is empty. Write it, or go back to the default."),
            Reason::TooLong => write!(f, "it is longer than {} characters. Shorten it.", self.part.max_source()),
            Reason::UnknownVariable { name, known } => {
                write!(f, "there is no variable \"{name}\" in this mail. Use one of: {}.", known.join(", "))
            }
            Reason::MissingRequired(name) => {
                write!(f, "it must use {{{{ {name} }}}}, or the mail is of no use to the person who gets it.")
            }
            Reason::CodeInSubject => write!(
                f,
                "it must not use {{{{ code }}}}: phones show a mail's subject on the lock screen. Keep the code in the body."
            ),
            Reason::Syntax(_, detail) => write!(f, "{detail}. Check the {{{{ }}}} and {{% %}} tags around it."),
            Reason::OutputTooLarge => write!(
                f,
                "with the sample data it comes out longer than {} bytes. Shorten it or loop over less.",
                self.part.max_output()
            ),
            Reason::TooMuchWork => write!(f, "it takes too much work to render. Simplify its loops."),
        }
    }
}

/// What one render may spend; MiniJinja charges about 64 bytes of memory per unit as well.
const FUEL: u64 = 200_000;

/// The sandbox. Built per render: it is cheap, and holds nothing between renders.
fn environment() -> Environment<'static> {
    let mut env = Environment::empty();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.set_auto_escape_callback(|name| if name.ends_with(".html") { AutoEscape::Html } else { AutoEscape::None });
    use minijinja::filters;
    env.add_filter("upper", filters::upper);
    env.add_filter("lower", filters::lower);
    env.add_filter("title", filters::title);
    env.add_filter("capitalize", filters::capitalize);
    env.add_filter("trim", filters::trim);
    env.add_filter("default", filters::default);
    env.add_filter("d", filters::default);
    env.add_filter("escape", filters::escape);
    env.add_filter("e", filters::escape);
    env.add_filter("length", filters::length);
    env.add_filter("first", filters::first);
    env.add_filter("last", filters::last);
    env.add_filter("join", filters::join);
    use minijinja::tests;
    env.add_test("defined", tests::is_defined);
    env.add_test("undefined", tests::is_undefined);
    env.add_test("none", tests::is_none);
    env
}

/// The values a mail is rendered with.
pub type Vars = BTreeMap<String, Value>;

/// A writer that refuses to grow past `limit` bytes.
struct Bounded {
    out: Vec<u8>,
    limit: usize,
}

impl std::io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.out.len() + buf.len() > self.limit {
            return Err(std::io::Error::other("output limit"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn problem_of(part: Part, e: &minijinja::Error, known: &[&'static str]) -> Problem {
    let reason = match e.kind() {
        ErrorKind::OutOfFuel => Reason::TooMuchWork,
        ErrorKind::WriteFailure => Reason::OutputTooLarge,
        ErrorKind::UndefinedError => Reason::UnknownVariable {
            name: e.detail().map(|d| d.trim_matches('`').to_string()).unwrap_or_else(|| "?".into()),
            known: known.to_vec(),
        },
        kind => Reason::Syntax(
            match kind {
                ErrorKind::UnknownFilter => Unreadable::UnknownFilter,
                ErrorKind::UnknownTest => Unreadable::UnknownTest,
                ErrorKind::SyntaxError | ErrorKind::BadEscape | ErrorKind::TemplateNotFound => Unreadable::Syntax,
                _ => Unreadable::Operation,
            },
            match e.detail() {
                Some(d) => format!("{kind}: {d}"),
                None => kind.to_string(),
            },
        ),
    };
    Problem { part, line: e.line(), reason }
}

/// Renders one part with `vars`.
pub fn render_part(part: Part, source: &str, vars: &Vars, known: &[&'static str]) -> Result<String, Problem> {
    let env = environment();
    let template = env.template_from_named_str(part.name(), source).map_err(|e| problem_of(part, &e, known))?;
    let mut out = Bounded { out: Vec::new(), limit: part.max_output() };
    template.render_captured_to(Value::from(vars.clone()), &mut out).map_err(|e| problem_of(part, &e, known))?;
    let text = String::from_utf8(out.out).map_err(|_| Problem {
        part,
        line: None,
        reason: Reason::Syntax(Unreadable::Operation, "it does not come out as text".into()),
    })?;
    // A subject is one line, whatever the template does.
    Ok(match part {
        Part::Subject => text.split_whitespace().collect::<Vec<_>>().join(" "),
        _ => text,
    })
}

/// The variable no subject may use: a one-time code belongs in the body only.
const NEVER_IN_SUBJECT: &str = "code";

/// A subject that uses the one-time code, as the problem it is (a subject that does not parse is
/// left to the render that follows).
fn code_in_subject(source: &str) -> Option<Problem> {
    let env = environment();
    let template = env.template_from_named_str(Part::Subject.name(), source).ok()?;
    template.undeclared_variables(false).contains(NEVER_IN_SUBJECT).then(|| Problem {
        part: Part::Subject,
        line: line_of(source, NEVER_IN_SUBJECT),
        reason: Reason::CodeInSubject,
    })
}

/// Renders every part. A subject with the one-time code is refused here too, so a template saved
/// before the rule existed falls back to Tessera's.
pub fn render(parts: &Parts, vars: &Vars, known: &[&'static str]) -> Result<Parts, Problem> {
    if let Some(problem) = code_in_subject(&parts.subject) {
        return Err(problem);
    }
    Ok(Parts {
        subject: render_part(Part::Subject, &parts.subject, vars, known)?,
        text: render_part(Part::Text, &parts.text, vars, known)?,
        html: render_part(Part::Html, &parts.html, vars, known)?,
    })
}

/// Whether `parts` may be saved: each part present and short enough, parses, uses only `known`
/// variables, the bodies use every `required` one, and it renders with `sample` data.
pub fn check(parts: &Parts, known: &[&'static str], required: &[&'static str], sample: &Vars) -> Result<(), Problem> {
    let env = environment();
    for part in Part::ALL {
        let source = part.source(parts);
        if source.trim().is_empty() {
            return Err(Problem { part, line: None, reason: Reason::Empty });
        }
        if source.chars().count() > part.max_source() {
            return Err(Problem { part, line: None, reason: Reason::TooLong });
        }
        let template = env.template_from_named_str(part.name(), source).map_err(|e| problem_of(part, &e, known))?;
        // Every branch counts, not only the ones the sample takes.
        let used: BTreeSet<String> = template.undeclared_variables(false).into_iter().collect();
        if let Some(unknown) = used.iter().find(|v| !known.contains(&v.as_str())) {
            return Err(Problem {
                part,
                line: line_of(source, unknown),
                reason: Reason::UnknownVariable { name: unknown.clone(), known: known.to_vec() },
            });
        }
        if part != Part::Subject {
            if let Some(missing) = required.iter().find(|r| !used.contains(**r)) {
                return Err(Problem { part, line: None, reason: Reason::MissingRequired(missing) });
            }
        } else if let Some(problem) = code_in_subject(source) {
            return Err(problem);
        }
        render_part(part, source, sample, known)?;
    }
    Ok(())
}

/// The line of `source` where `variable` is first used as a word inside a `{{ }}` or `{% %}`
/// tag (the same word in the mail's prose is not a use); failing that, where it first appears.
fn line_of(source: &str, variable: &str) -> Option<usize> {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let as_word =
        |text: &str, i: usize| !word(text[..i].chars().next_back()) && !word(text[i + variable.len()..].chars().next());
    let line_at = |offset: usize| source[..offset].matches('\n').count() + 1;
    let mut from = 0;
    while let Some(open) = source[from..].find(['{']).map(|i| from + i) {
        let close = match source.get(open..open + 2) {
            Some("{{") => "}}",
            Some("{%") => "%}",
            _ => {
                from = open + 1;
                continue;
            }
        };
        let end = source[open..].find(close).map_or(source.len(), |i| open + i);
        let tag = &source[open..end];
        if let Some((i, _)) = tag.match_indices(variable).find(|(i, _)| as_word(tag, *i)) {
            return Some(line_at(open + i));
        }
        from = end;
    }
    source.lines().position(|line| line.match_indices(variable).any(|(i, _)| as_word(line, i))).map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        pairs.iter().map(|(k, v)| (k.to_string(), Value::from(*v))).collect()
    }

    const KNOWN: &[&str] = &["name", "link", "code"];

    fn parts(subject: &str, text: &str, html: &str) -> Parts {
        Parts { subject: subject.into(), text: text.into(), html: html.into() }
    }

    #[test]
    fn the_rules_of_a_template() {
        let sample = vars(&[("name", "Ada <b>"), ("link", "https://id.example.org/x?a=1&b=2"), ("code", "123456")]);
        let ok = parts(
            "Hi {{ name }}",
            "Hello {{ name }}\n{{ link }}",
            "<p>Hello {{ name }}</p><a href=\"{{ link }}\">go</a>",
        );
        type Want = Result<(), (Part, Option<usize>, &'static str)>;
        let table: &[(&str, Parts, Want)] = &[
            ("valid", ok.clone(), Ok(())),
            (
                "unknown variable",
                parts("Hi", "Hello {{ name }}\n{{ link }}\n{{ passwrd }}", "<p>{{ link }}</p>"),
                Err((Part::Text, Some(3), "there is no variable \"passwrd\"")),
            ),
            (
                "unknown variable on the last line, its word in the prose before",
                parts("Hi", "Your passwrd is safe.\n{{ link }}\n{{ passwrd }}", "{{ link }}"),
                Err((Part::Text, Some(3), "there is no variable \"passwrd\"")),
            ),
            (
                "unknown variable in a branch the sample never takes",
                parts("Hi", "{{ link }}{% if false %}{{ secret }}{% endif %}", "{{ link }}"),
                Err((Part::Text, Some(1), "no variable \"secret\"")),
            ),
            (
                "missing required variable",
                parts("Hi", "{{ link }}", "<p>Hello {{ name }}</p>"),
                Err((Part::Html, None, "it must use {{ link }}")),
            ),
            (
                "syntax error",
                parts("Hi", "{{ link }}\n{% if name %}\nno end", "{{ link }}"),
                Err((Part::Text, Some(2), "syntax error: unexpected end of input")),
            ),
            ("unknown filter", parts("Hi", "{{ link|safe }}", "{{ link }}"), Err((Part::Text, Some(1), "unknown filter"))),
            (
                "no global functions",
                parts("Hi", "{{ link }}{% for i in range(10) %}x{% endfor %}", "{{ link }}"),
                Err((Part::Text, Some(1), "no variable \"range\"")),
            ),
            (
                "oversized output",
                parts("Hi", "{{ link }}", &format!("{{{{ link }}}}{{% for a in code %}}{{% for b in code %}}{}{{% endfor %}}{{% endfor %}}", "x".repeat(3000))),
                Err((Part::Html, None, "comes out longer than 100000 bytes")),
            ),
            (
                "too much work",
                parts("Hi", "{{ link }}{% for a in link %}{% for b in link %}{% for c in link %}{% for d in link %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}", "{{ link }}"),
                Err((Part::Text, Some(1), "too much work")),
            ),
            ("empty", parts(" ", "{{ link }}", "{{ link }}"), Err((Part::Subject, None, "it is empty"))),
            (
                "the code in the subject",
                parts("Hi {{ name }}\n{% if true %}{{ code }}{% endif %}", "{{ link }}", "{{ link }}"),
                Err((Part::Subject, Some(2), "must not use {{ code }}")),
            ),
            ("too long", parts("Hi", &"x".repeat(20_001), "{{ link }}"), Err((Part::Text, None, "longer than 20000 characters"))),
        ];
        for (what, p, want) in table {
            let got = check(p, KNOWN, &["link"], &sample);
            match (want, got) {
                (Ok(()), Ok(())) => {}
                (Err((part, line, words)), Err(problem)) => {
                    assert_eq!((problem.part, problem.line), (*part, *line), "{what}: {problem}");
                    assert!(problem.to_string().contains(words), "{what}: {problem}");
                }
                (want, got) => panic!("{what}: wanted {want:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn what_people_typed_is_escaped_in_html_and_kept_in_text() {
        let sample = vars(&[("name", "<script>alert(1)</script> & \"Ada\""), ("link", "https://x.example/?a=1&b=2")]);
        let out = render(
            &parts("Hi {{ name }}\nthere", "Hello {{ name }}", "<p>Hello {{ name }}</p><a href=\"{{ link }}\">x</a>"),
            &sample,
            KNOWN,
        )
        .unwrap();
        assert_eq!(out.subject, "Hi <script>alert(1)</script> & \"Ada\" there");
        assert_eq!(out.text, "Hello <script>alert(1)</script> & \"Ada\"");
        assert!(out.html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; &amp; &quot;Ada&quot;"), "{}", out.html);
        assert!(out.html.contains("href=\"https:&#x2f;&#x2f;x.example&#x2f;?a=1&amp;b=2\""), "{}", out.html);
        assert!(!out.html.contains("<script>"));
    }

    #[test]
    fn a_subject_with_the_code_never_renders() {
        let sample = vars(&[("name", "Ada"), ("link", "x"), ("code", "123456")]);
        let e = render(&parts("Your code {{ code }}", "{{ code }}", "{{ code }}"), &sample, KNOWN).unwrap_err();
        assert_eq!((e.part, matches!(e.reason, Reason::CodeInSubject)), (Part::Subject, true), "{e}");
        let ok = render(&parts("Your code", "{{ code }}", "{{ code }}"), &sample, KNOWN).unwrap();
        assert_eq!((ok.subject.as_str(), ok.text.as_str()), ("Your code", "123456"));
    }

    #[test]
    fn a_variable_not_given_is_an_error_not_an_empty_string() {
        let e = render_part(Part::Text, "Hello {{ name }}", &Vars::new(), KNOWN).unwrap_err();
        assert!(matches!(e.reason, Reason::UnknownVariable { .. }), "{e}");
    }
}
