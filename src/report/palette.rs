//! One look per method label, shared by every chart of a report: a colour, a
//! marker shape and a solid or dashed line, so lines stay apart in greyscale.

use crate::results::Results;
use crate::vocab::MethodName;
use plotters::style::RGBColor;

/// Colours that stay distinct for colour-blind readers (Okabe–Ito, then
/// extras from Paul Tol's palettes): enough that the default scenario set's
/// labels never share one.
const COLOURS: [RGBColor; 30] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0x00, 0x00, 0x00),
    RGBColor(0x88, 0x22, 0x55),
    RGBColor(0x33, 0x22, 0x88),
    RGBColor(0x7F, 0x7F, 0x7F),
    RGBColor(0x11, 0x77, 0x33),
    RGBColor(0x99, 0x55, 0x22),
    RGBColor(0x44, 0xAA, 0x99),
    RGBColor(0x99, 0x99, 0x33),
    RGBColor(0xCC, 0x33, 0x11),
    RGBColor(0xAA, 0x44, 0x99),
    RGBColor(0xEE, 0x88, 0x66),
    RGBColor(0xFF, 0xAA, 0xBB),
    RGBColor(0xBB, 0xCC, 0x33),
    RGBColor(0x44, 0x44, 0x44),
    RGBColor(0x88, 0xCC, 0xEE),
    RGBColor(0xDD, 0xCC, 0x77),
    RGBColor(0xCC, 0x66, 0x77),
    RGBColor(0x77, 0xAA, 0xDD),
    RGBColor(0x22, 0x55, 0x55),
    RGBColor(0x66, 0x66, 0x33),
    RGBColor(0x66, 0x33, 0x33),
    RGBColor(0xAA, 0xAA, 0x00),
    RGBColor(0x22, 0x22, 0x55),
    RGBColor(0x44, 0xBB, 0x99),
];

/// Marker shapes, in the order they are handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marker {
    Dot,
    Square,
    Triangle,
    Cross,
    Ring,
    Block,
    OpenTriangle,
}

const MARKERS: [Marker; 7] = [
    Marker::Dot,
    Marker::Square,
    Marker::Triangle,
    Marker::Cross,
    Marker::Ring,
    Marker::Block,
    Marker::OpenTriangle,
];

/// How one method label is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Style {
    pub colour: RGBColor,
    pub marker: Marker,
    pub dashed: bool,
}

/// Method labels and their styles, fixed for one report.
#[derive(Debug, Clone)]
pub(crate) struct Palette {
    labels: Vec<String>,
}

impl Palette {
    /// Collects every label of the given runs, ordered by method, then by first appearance.
    pub(crate) fn new(runs: &[&Results]) -> Palette {
        // Legend order: by method (maps first, as MethodName is declared),
        // then by first appearance.
        let mut seen: Vec<(MethodName, usize, String)> = Vec::new();
        for cell in runs
            .iter()
            .flat_map(|r| &r.scenarios)
            .flat_map(|s| &s.cells)
        {
            if !seen.iter().any(|(_, _, l)| *l == cell.label) {
                seen.push((cell.method, seen.len(), cell.label.clone()));
            }
        }
        seen.sort();
        Palette {
            labels: seen.into_iter().map(|(_, _, l)| l).collect(),
        }
    }

    /// The given labels, in the order given (a pressure report's runs).
    pub(crate) fn of_labels(labels: impl IntoIterator<Item = String>) -> Palette {
        let mut unique: Vec<String> = Vec::new();
        for label in labels {
            if !unique.contains(&label) {
                unique.push(label);
            }
        }
        Palette { labels: unique }
    }

    /// The style of a label; unknown labels share the last slot.
    pub(crate) fn style(&self, label: &str) -> Style {
        let i = self
            .labels
            .iter()
            .position(|l| l == label)
            .unwrap_or(self.labels.len());
        Style {
            colour: COLOURS[i % COLOURS.len()],
            marker: MARKERS[i % MARKERS.len()],
            dashed: i % 2 == 1,
        }
    }

    /// Sorts labels into palette (legend) order.
    pub(crate) fn order(&self, labels: &mut [&str]) {
        labels.sort_by_key(|l| self.labels.iter().position(|p| p == l));
    }
}

/// CSS colour text for a palette colour.
pub(crate) fn css(colour: RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", colour.0, colour.1, colour.2)
}

/// A small inline SVG showing a label's line and marker, for HTML legends.
pub(crate) fn swatch(style: Style) -> String {
    let c = css(style.colour);
    let dash = if style.dashed {
        " stroke-dasharray=\"6 4\""
    } else {
        ""
    };
    let marker = match style.marker {
        Marker::Dot => format!("<circle cx=\"17\" cy=\"7\" r=\"4\" fill=\"{c}\"/>"),
        Marker::Ring => {
            format!(
                "<circle cx=\"17\" cy=\"7\" r=\"4\" fill=\"white\" stroke=\"{c}\" stroke-width=\"2\"/>"
            )
        }
        Marker::Square => format!(
            "<rect x=\"13\" y=\"3\" width=\"8\" height=\"8\" fill=\"white\" stroke=\"{c}\" stroke-width=\"2\"/>"
        ),
        Marker::Block => format!("<rect x=\"13\" y=\"3\" width=\"8\" height=\"8\" fill=\"{c}\"/>"),
        Marker::Triangle => format!("<polygon points=\"17,2 22,11 12,11\" fill=\"{c}\"/>"),
        Marker::OpenTriangle => format!(
            "<polygon points=\"17,2 22,11 12,11\" fill=\"white\" stroke=\"{c}\" stroke-width=\"2\"/>"
        ),
        Marker::Cross => {
            format!("<path d=\"M13 3 L21 11 M21 3 L13 11\" stroke=\"{c}\" stroke-width=\"2\"/>")
        }
    };
    format!(
        "<svg class=\"swatch\" width=\"34\" height=\"14\" viewBox=\"0 0 34 14\" aria-hidden=\"true\">\
<line x1=\"1\" y1=\"7\" x2=\"33\" y2=\"7\" stroke=\"{c}\" stroke-width=\"2\"{dash}/>{marker}</svg>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_scenarios_labels_get_distinct_colours() {
        let files = crate::scenario::files_in(std::path::Path::new("scenarios")).unwrap();
        let mut labels: Vec<String> = Vec::new();
        for scenario in crate::scenario::load_all(&files).unwrap() {
            for method in scenario.methods {
                if !labels.contains(&method.label) {
                    labels.push(method.label);
                }
            }
        }
        let palette = Palette {
            labels: labels.clone(),
        };
        let mut colours: Vec<String> = labels
            .iter()
            .map(|l| css(palette.style(l).colour))
            .collect();
        colours.sort();
        colours.dedup();
        assert_eq!(
            colours.len(),
            labels.len(),
            "two labels of the default run share a colour"
        );
    }
}
