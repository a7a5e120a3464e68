//! The code a step shows is the code that runs: a lesson marks regions of
//! its own source with `// lesson:NAME begin` and `// lesson:NAME end`
//! comments, includes that source at build time (`include_str!`), and
//! shows a region by name. The lesson's page in docs/lessons includes the
//! same regions, and a test fails when a page's copy differs.

/// What starts a region's opening and closing marker lines.
const MARKER: &str = "// lesson:";

/// One anchored region of a lesson's source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// Its name, from its markers.
    pub name: String,
    /// Its lines, markers of nested regions left out, indentation common
    /// to all of them removed.
    pub code: String,
}

/// Every region of `source`, in the order their `begin` markers come.
/// Regions may nest (the inner one's markers are left out of the outer);
/// a marker that is not `begin` or `end`, an `end` without its `begin` or
/// a `begin` without its `end` is an error naming the line.
pub fn regions(source: &str) -> Result<Vec<Region>, String> {
    let mut open: Vec<(String, Vec<&str>)> = Vec::new();
    let mut done: Vec<(usize, Region)> = Vec::new();
    let mut started = 0;
    let mut order: Vec<(String, usize)> = Vec::new();
    for (number, line) in source.lines().enumerate() {
        let trimmed = line.trim();
        if let Some(marker) = trimmed.strip_prefix(MARKER) {
            match marker.split_once(' ') {
                Some((name, "begin")) => {
                    if open.iter().any(|(n, _)| n == name) || order.iter().any(|(n, _)| n == name) {
                        return Err(format!("line {}: region {name:?} begins twice", number + 1));
                    }
                    order.push((name.to_string(), started));
                    started += 1;
                    open.push((name.to_string(), Vec::new()));
                }
                Some((name, "end")) => match open.pop() {
                    Some((open_name, lines)) if open_name == name => {
                        let index = order.iter().find(|(n, _)| n == name).map_or(0, |(_, i)| *i);
                        done.push((
                            index,
                            Region {
                                name: name.to_string(),
                                code: dedent(&lines),
                            },
                        ));
                    }
                    _ => {
                        return Err(format!(
                            "line {}: region {name:?} ends but is not the one open",
                            number + 1
                        ));
                    }
                },
                _ => {
                    return Err(format!(
                        "line {}: a marker must read `{MARKER}NAME begin` or `end`",
                        number + 1
                    ));
                }
            }
        } else {
            for (_, lines) in &mut open {
                lines.push(line);
            }
        }
    }
    if let Some((name, _)) = open.first() {
        return Err(format!("region {name:?} never ends"));
    }
    done.sort_by_key(|(index, _)| *index);
    Ok(done.into_iter().map(|(_, region)| region).collect())
}

/// The code of the region called `name` in `source`.
pub fn region(source: &str, name: &str) -> Result<String, String> {
    regions(source)?
        .into_iter()
        .find(|r| r.name == name)
        .map(|r| r.code)
        .ok_or_else(|| format!("no region {name:?} (`{MARKER}{name} begin` ... `end`)"))
}

/// `lines` without the indentation they all share.
fn dedent(lines: &[&str]) -> String {
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .map(|l| l.get(indent..).unwrap_or("").trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The regions a lesson's page shows: each fenced block right after a
/// `<!-- code: NAME -->` line, by name, in page order.
pub fn page_blocks(page: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut lines = page.lines();
    while let Some(line) = lines.next() {
        let Some(name) = line
            .trim()
            .strip_prefix("<!-- code: ")
            .and_then(|rest| rest.strip_suffix(" -->"))
        else {
            continue;
        };
        let mut code = Vec::new();
        if lines.next().is_some_and(|fence| fence.starts_with("```")) {
            for line in lines.by_ref() {
                if line.starts_with("```") {
                    break;
                }
                code.push(line);
            }
        }
        blocks.push((name.to_string(), code.join("\n")));
    }
    blocks
}

/// A page's code section as it must read for `regions`: a marker line
/// and a fenced Rust block for each.
pub fn page_section(regions: &[Region]) -> String {
    regions
        .iter()
        .map(|r| format!("<!-- code: {} -->\n```rust\n{}\n```\n", r.name, r.code))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "fn f() {\n    // lesson:outer begin\n    let a = 1;\n        // lesson:inner begin\n        let b = 2;\n        // lesson:inner end\n    // lesson:outer end\n}\n";

    #[test]
    fn regions_are_found_dedented_and_nested_markers_left_out() {
        let found = regions(SOURCE).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].name, "outer");
        assert_eq!(found[0].code, "let a = 1;\n    let b = 2;");
        assert_eq!(found[1].code, "let b = 2;");
        assert_eq!(region(SOURCE, "inner").unwrap(), "let b = 2;");
        assert!(region(SOURCE, "nosuch").unwrap_err().contains("nosuch"));
    }

    #[test]
    fn unbalanced_or_misspelt_markers_are_errors() {
        assert!(
            regions("// lesson:a begin\nx\n")
                .unwrap_err()
                .contains("never ends")
        );
        assert!(
            regions("x\n// lesson:a end\n")
                .unwrap_err()
                .contains("line 2")
        );
        assert!(regions("// lesson:a start\n").is_err());
        assert!(
            regions("// lesson:a begin\n// lesson:a end\n// lesson:a begin\n// lesson:a end\n")
                .is_err()
        );
    }

    #[test]
    fn a_page_section_reads_back_as_its_blocks() {
        let found = regions(SOURCE).unwrap();
        let page = format!("# x\n\n{}\nmore", page_section(&found));
        let blocks = page_blocks(&page);
        let expected: Vec<(String, String)> = found.into_iter().map(|r| (r.name, r.code)).collect();
        assert_eq!(blocks, expected);
    }
}
