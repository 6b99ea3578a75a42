//! A list of people to invite, as an administrator pastes it or a spreadsheet exports it: one
//! person per line, as `ann@example.com`, `Ann Smith <ann@example.com>`, or cells (separated by
//! commas, semicolons or tabs) of which one is the address and the others make the name. A line
//! may also hold several bare addresses. A first line of column headings ("Name, Email") is
//! skipped. The list is read whole before anyone is invited: one bad line and nobody is, and the
//! error names the line, so what was pasted can be corrected in place.

use std::collections::HashSet;

use crate::model::{parse_name, Email, ListIssue, Problem};

/// The most people one list may invite: a mistake costs at most this many mails.
pub const MAX_PEOPLE: usize = 100;

/// One person of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitee {
    /// The line they are on, counting from 1 as the text area does.
    pub line: u16,
    pub email: Email,
    pub name: Option<String>,
}

/// Lines with a problem: the first, what it is, and how many more lines have one.
#[derive(Debug, Default)]
pub(crate) struct LineProblems {
    first: Option<(ListIssue, u16)>,
    more: u16,
}

impl LineProblems {
    pub(crate) fn add(&mut self, issue: ListIssue, line: u16) {
        match self.first {
            None => self.first = Some((issue, line)),
            Some(_) => self.more = self.more.saturating_add(1),
        }
    }

    pub(crate) fn problem(&self) -> Option<Problem> {
        self.first.map(|(issue, line)| Problem::InList { issue, line, more: self.more })
    }
}

/// The people of `text`, each address once (the first line it is on), or what is wrong with it.
pub fn parse(text: &str) -> Result<Vec<Invitee>, Problem> {
    let mut people = Vec::new();
    let mut seen = HashSet::new();
    let mut problems = LineProblems::default();
    let mut first_line = true;
    for (i, line) in text.lines().enumerate() {
        let number = u16::try_from(i + 1).unwrap_or(u16::MAX);
        let cells = cells(line);
        if cells.is_empty() {
            continue;
        }
        let headings = std::mem::replace(&mut first_line, false) && cells.iter().all(|c| is_heading(c));
        if headings {
            continue;
        }
        match person_cells(&cells) {
            Ok(found) => {
                for (email, name) in found {
                    if seen.insert(email.canonical.clone()) {
                        people.push(Invitee { line: number, email, name });
                    }
                }
            }
            Err(issue) => problems.add(issue, number),
        }
    }
    if let Some(p) = problems.problem() {
        return Err(p);
    }
    if people.is_empty() {
        return Err(Problem::Missing);
    }
    if people.len() > MAX_PEOPLE {
        let narrow = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
        return Err(Problem::TooMany { max: narrow(MAX_PEOPLE), have: narrow(people.len()) });
    }
    Ok(people)
}

/// A line's non-empty cells, without the quotes a spreadsheet puts around them.
fn cells(line: &str) -> Vec<&str> {
    line.split([',', ';', '\t']).map(|c| c.trim().trim_matches('"').trim()).filter(|c| !c.is_empty()).collect()
}

fn is_heading(cell: &str) -> bool {
    const HEADINGS: &[&str] = &[
        "email",
        "e-mail",
        "email address",
        "e-mail address",
        "mail",
        "address",
        "name",
        "full name",
        "display name",
        "first name",
        "last name",
        "given name",
        "family name",
        "surname",
    ];
    HEADINGS.iter().any(|h| cell.eq_ignore_ascii_case(h))
}

/// The people on one line: one address with the other cells as its name, or several addresses.
fn person_cells(cells: &[&str]) -> Result<Vec<(Email, Option<String>)>, ListIssue> {
    let (addresses, words): (Vec<&str>, Vec<&str>) = cells.iter().partition(|c| c.contains('@'));
    match addresses.as_slice() {
        [] => Err(ListIssue::NotAnEmail),
        [one] => {
            let (email, named) = address(one)?;
            let name = match named {
                Some(n) => Some(n),
                None if words.is_empty() => None,
                None => Some(words.join(" ")),
            };
            let name = name.map(|n| parse_name(&n).map_err(|_| ListIssue::Name)).transpose()?;
            Ok(vec![(email, name)])
        }
        // Several addresses on a line are several people; a word among them belongs to none.
        _ if !words.is_empty() => Err(ListIssue::NotAnEmail),
        several => several
            .iter()
            .map(|a| {
                let (email, named) = address(a)?;
                let name = named.map(|n| parse_name(&n).map_err(|_| ListIssue::Name)).transpose()?;
                Ok((email, name))
            })
            .collect(),
    }
}

/// `ann@example.com` or `Ann Smith <ann@example.com>`.
fn address(cell: &str) -> Result<(Email, Option<String>), ListIssue> {
    let (name, addr) = match cell.strip_suffix('>').and_then(|c| c.rsplit_once('<')) {
        Some((name, addr)) => {
            let name = name.trim().trim_matches('"').trim();
            ((!name.is_empty()).then(|| name.to_string()), addr)
        }
        None => (None, cell),
    };
    let email = Email::parse(addr).map_err(|_| ListIssue::NotAnEmail)?;
    Ok((email, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people(text: &str) -> Vec<(u16, String, Option<String>)> {
        parse(text).unwrap().into_iter().map(|p| (p.line, p.email.display, p.name)).collect()
    }

    fn problem(text: &str) -> Problem {
        parse(text).unwrap_err()
    }

    #[test]
    fn one_address_a_line_with_or_without_a_name() {
        let text = "ann@example.com\n\nBob Stone <bob@example.com>\n\"Cy Young\" <cy@example.com>\n";
        assert_eq!(
            people(text),
            vec![
                (1, "ann@example.com".into(), None),
                (3, "bob@example.com".into(), Some("Bob Stone".into())),
                (4, "cy@example.com".into(), Some("Cy Young".into())),
            ]
        );
    }

    #[test]
    fn spreadsheet_rows_with_headings_make_names_of_the_other_cells() {
        let csv = "First name,Last name,Email\r\nAnn,Smith,ann@example.com\r\n\"Bo\",\"Li\",\"bo@example.com\"\r\n";
        assert_eq!(
            people(csv),
            vec![
                (2, "ann@example.com".into(), Some("Ann Smith".into())),
                (3, "bo@example.com".into(), Some("Bo Li".into()))
            ]
        );
        let pasted = "Ann Smith\tann@example.com\n";
        assert_eq!(people(pasted), vec![(1, "ann@example.com".into(), Some("Ann Smith".into()))]);
    }

    #[test]
    fn several_addresses_on_a_line_are_several_people() {
        let text = "ann@example.com, Bob <bob@example.com>; cy@example.com";
        let got: Vec<String> = people(text).into_iter().map(|(_, e, _)| e).collect();
        assert_eq!(got, ["ann@example.com", "bob@example.com", "cy@example.com"]);
    }

    #[test]
    fn an_address_listed_twice_is_invited_once_from_its_first_line() {
        let got = people("ann@example.com\nANN@Example.com\nbob@example.com");
        assert_eq!(got.iter().map(|p| p.0).collect::<Vec<_>>(), [1, 3]);
    }

    #[test]
    fn the_first_bad_line_is_named_with_how_many_more_there_are() {
        let text = "ann@example.com\nnot an address\nbob@example.com\nalso bad\n";
        assert_eq!(problem(text), Problem::InList { issue: ListIssue::NotAnEmail, line: 2, more: 1 });
        // Headings are only headings on the first line.
        assert_eq!(
            problem("ann@example.com\nEmail"),
            Problem::InList { issue: ListIssue::NotAnEmail, line: 2, more: 0 }
        );
        let word_among_addresses = problem("ann@example.com, Bob, cy@example.com");
        assert_eq!(word_among_addresses, Problem::InList { issue: ListIssue::NotAnEmail, line: 1, more: 0 });
        let long_name = format!("{} <ann@example.com>", "A".repeat(101));
        assert_eq!(problem(&long_name), Problem::InList { issue: ListIssue::Name, line: 1, more: 0 });
    }

    #[test]
    fn an_empty_list_and_a_long_one_are_refused() {
        assert_eq!(problem(" \n\t\n"), Problem::Missing);
        assert_eq!(problem("Name, Email"), Problem::Missing);
        let many: String = (0..=MAX_PEOPLE).map(|i| format!("p{i}@example.com\n")).collect();
        assert_eq!(problem(&many), Problem::TooMany { max: 100, have: 101 });
        let enough: String = (0..MAX_PEOPLE).map(|i| format!("p{i}@example.com\n")).collect();
        assert_eq!(parse(&enough).unwrap().len(), MAX_PEOPLE);
    }
}
