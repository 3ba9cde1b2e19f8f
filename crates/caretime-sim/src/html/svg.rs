//! Just enough SVG for the report's charts: a [`Drawing`] that collects shapes and text, escapes
//! every piece of text it is given and writes coordinates with one decimal.
//!
//! Styles are presentation attributes on each element rather than classes, so that a drawing
//! looks the same in any page it is pasted into (the report, a later comparison page, a slide).
//! Colours come from [`PALETTE`], which people with the common colour-vision deficiencies can
//! tell apart and which survives printing in grey.

use std::fmt::Write as _;

/// Colours for series and segments, in order (Okabe and Ito's palette for colour-blind readers,
/// darkened where the original is too pale to carry white text or to print).
pub const PALETTE: [&str; 6] = [
    "#0072B2", // blue
    "#E69F00", // orange
    "#009E73", // bluish green
    "#D55E00", // vermilion
    "#56B4E9", // sky blue
    "#CC79A7", // reddish purple
];

/// The colour of text drawn on the `index`th colour of [`PALETTE`]: white on the dark ones, ink
/// on the light ones (orange, sky blue, purple), for contrast on screen and in print.
pub fn text_colour(index: usize) -> &'static str {
    match index % PALETTE.len() {
        0 | 2 | 3 => PAPER,
        _ => INK,
    }
}

/// Text and axis colour: dark grey rather than black, softer on screen and the same in print.
pub const INK: &str = "#222222";

/// The background: halos and seams are drawn in it to part marks that would touch.
pub const PAPER: &str = "#FFFFFF";

/// Grid lines and the lighter marks.
pub const GRID: &str = "#D0D0D0";

/// The colour of the `index`th series (the palette repeats beyond its length).
pub fn colour(index: usize) -> &'static str {
    PALETTE[index % PALETTE.len()]
}

/// `text` with the five characters that XML reserves replaced by entities, so that a label such
/// as `Fish & Sons <Clinic>` cannot end an element or an attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

/// A coordinate or length with one decimal (a tenth of a pixel is finer than any screen or
/// printer shows). Negative zero is written as `0.0` and a value that is not finite as `0.0`, so
/// that the same figures always give the same bytes.
pub fn coordinate(value: f64) -> String {
    if !value.is_finite() {
        return "0.0".to_owned();
    }
    // Adding zero turns -0.0 into 0.0; rounding first keeps -0.04 from printing as "-0.0".
    let rounded = (value * 10.0).round() / 10.0 + 0.0;
    format!("{rounded:.1}")
}

/// An estimate of the width of `text` in pixels at `font_size`: SVG cannot measure text before
/// it is drawn, and the charts need widths to keep labels apart. Generous (0.6 em a character)
/// so that labels in a wide sans-serif font still fit.
pub fn text_width(text: &str, font_size: f64) -> f64 {
    text.chars().count() as f64 * font_size * 0.6
}

/// Where a text's `x` lies along it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    /// `x` is the text's left end.
    Start,
    /// `x` is the text's centre.
    Middle,
    /// `x` is the text's right end.
    End,
}

impl Anchor {
    fn attribute(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

/// How a text is set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Font {
    /// Size in pixels.
    pub size: f64,
    /// Bold (titles).
    pub bold: bool,
    /// Fill colour.
    pub colour: &'static str,
    /// A white outline behind the letters, so that a value stays legible where a grid or
    /// reference line runs through it.
    pub halo: bool,
}

impl Font {
    /// Regular text of `size` pixels in [`INK`].
    pub const fn regular(size: f64) -> Font {
        Font {
            size,
            bold: false,
            colour: INK,
            halo: false,
        }
    }

    /// Bold text of `size` pixels in [`INK`].
    pub const fn bold(size: f64) -> Font {
        Font {
            size,
            bold: true,
            colour: INK,
            halo: false,
        }
    }

    /// The same font in another colour.
    pub const fn in_colour(self, colour: &'static str) -> Font {
        Font { colour, ..self }
    }

    /// The same font with a white halo.
    pub const fn with_halo(self) -> Font {
        Font { halo: true, ..self }
    }
}

/// How a line is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stroke {
    /// Colour.
    pub colour: &'static str,
    /// Width in pixels.
    pub width: f64,
    /// Dashed (reference lines) or solid.
    pub dashed: bool,
}

impl Stroke {
    /// A solid line.
    pub const fn solid(colour: &'static str, width: f64) -> Stroke {
        Stroke {
            colour,
            width,
            dashed: false,
        }
    }

    /// A dashed line.
    pub const fn dashed(colour: &'static str, width: f64) -> Stroke {
        Stroke {
            colour,
            width,
            dashed: true,
        }
    }

    fn attributes(self) -> String {
        format!(
            r#"stroke="{}" stroke-width="{}"{}"#,
            self.colour,
            coordinate(self.width),
            if self.dashed {
                r#" stroke-dasharray="6 4""#
            } else {
                ""
            }
        )
    }
}

/// An SVG image being drawn: shapes and texts in drawing order, then [`Drawing::finish`].
#[derive(Debug)]
pub struct Drawing {
    width: f64,
    height: f64,
    label: String,
    description: String,
    body: String,
}

impl Drawing {
    /// An empty drawing of `width` by `height` pixels. `label` names it for people who cannot
    /// see it (the `<title>` and the `aria-label`), `description` says what it shows in words
    /// (the `<desc>`, read by screen readers after the label).
    pub fn new(width: f64, height: f64, label: &str, description: &str) -> Drawing {
        Drawing {
            width,
            height,
            label: label.to_owned(),
            description: description.to_owned(),
            body: String::new(),
        }
    }

    /// A rectangle filled with `fill` (corners at `x, y` and `x + width, y + height`; negative
    /// sizes are drawn as nothing rather than as invalid SVG).
    pub fn rect(&mut self, x: f64, y: f64, width: f64, height: f64, fill: &str) {
        if width <= 0.0 || height <= 0.0 {
            return;
        }
        let _ = writeln!(
            self.body,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>"#,
            coordinate(x),
            coordinate(y),
            coordinate(width),
            coordinate(height),
            escape(fill),
        );
    }

    /// A rectangle with a fill at `opacity` (0 to 1) and no outline: confidence bands.
    pub fn translucent_rect(
        &mut self,
        x: f64,
        y: f64,
        width: f64,
        height: f64,
        fill: &str,
        opacity: f64,
    ) {
        if width <= 0.0 || height <= 0.0 {
            return;
        }
        let _ = writeln!(
            self.body,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}" fill-opacity="{}"/>"#,
            coordinate(x),
            coordinate(y),
            coordinate(width),
            coordinate(height),
            escape(fill),
            coordinate(opacity),
        );
    }

    /// A straight line.
    pub fn line(&mut self, from: (f64, f64), to: (f64, f64), stroke: Stroke) {
        let _ = writeln!(
            self.body,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" {}/>"#,
            coordinate(from.0),
            coordinate(from.1),
            coordinate(to.0),
            coordinate(to.1),
            stroke.attributes(),
        );
    }

    /// A line through `points`, in order (nothing below two points).
    pub fn polyline(&mut self, points: &[(f64, f64)], stroke: Stroke) {
        if points.len() < 2 {
            return;
        }
        let _ = writeln!(
            self.body,
            r#"<polyline points="{}" fill="none" stroke-linejoin="round" {}/>"#,
            points_attribute(points),
            stroke.attributes(),
        );
    }

    /// A closed shape through `points`, filled at `opacity` (nothing below three points).
    pub fn polygon(&mut self, points: &[(f64, f64)], fill: &str, opacity: f64) {
        if points.len() < 3 {
            return;
        }
        let _ = writeln!(
            self.body,
            r#"<polygon points="{}" fill="{}" fill-opacity="{}"/>"#,
            points_attribute(points),
            escape(fill),
            coordinate(opacity),
        );
    }

    /// A filled circle.
    pub fn circle(&mut self, centre: (f64, f64), radius: f64, fill: &str) {
        let _ = writeln!(
            self.body,
            r#"<circle cx="{}" cy="{}" r="{}" fill="{}" stroke="white" stroke-width="1"/>"#,
            coordinate(centre.0),
            coordinate(centre.1),
            coordinate(radius),
            escape(fill),
        );
    }

    /// A text on the baseline `y`; `text` is escaped here.
    pub fn text(&mut self, x: f64, y: f64, anchor: Anchor, font: Font, text: &str) {
        let _ = writeln!(
            self.body,
            r#"<text x="{}" y="{}" text-anchor="{}" font-size="{}"{} fill="{}"{}>{}</text>"#,
            coordinate(x),
            coordinate(y),
            anchor.attribute(),
            coordinate(font.size),
            if font.bold {
                r#" font-weight="bold""#
            } else {
                ""
            },
            font.colour,
            if font.halo {
                r#" stroke="white" stroke-width="3" stroke-linejoin="round" paint-order="stroke""#
            } else {
                ""
            },
            escape(text),
        );
    }

    /// The SVG element. It scales to the width of its container (never beyond its own width),
    /// keeping its proportions, so the same drawing fits a screen and an A4 page.
    pub fn finish(self) -> String {
        let label = escape(&self.label);
        format!(
            concat!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" "#,
                r#"height="{h}" role="img" aria-label="{label}" "#,
                r#"font-family="'Helvetica Neue', Helvetica, Arial, sans-serif" "#,
                r#"style="max-width: 100%; height: auto">"#,
                "\n<title>{label}</title>\n<desc>{description}</desc>\n{body}</svg>"
            ),
            w = coordinate(self.width),
            h = coordinate(self.height),
            label = label,
            description = escape(&self.description),
            body = self.body,
        )
    }
}

fn points_attribute(points: &[(f64, f64)]) -> String {
    points
        .iter()
        .map(|(x, y)| format!("{},{}", coordinate(*x), coordinate(*y)))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_in_elements_and_attributes() {
        let mut drawing = Drawing::new(100.0, 50.0, "Fish & \"Sons\"", "<desc>");
        drawing.text(
            1.0,
            2.0,
            Anchor::Start,
            Font::regular(12.0),
            "A & B <C> 'D'",
        );
        let svg = drawing.finish();
        assert!(svg.contains(r#"aria-label="Fish &amp; &quot;Sons&quot;""#));
        assert!(svg.contains("<desc>&lt;desc&gt;</desc>"));
        assert!(svg.contains(">A &amp; B &lt;C&gt; &#39;D&#39;</text>"));
        assert!(!svg.contains("A & B"));
    }

    #[test]
    fn coordinates_are_stable() {
        assert_eq!(coordinate(-0.0), "0.0");
        assert_eq!(coordinate(-0.04), "0.0");
        assert_eq!(coordinate(12.345), "12.3");
        assert_eq!(coordinate(f64::NAN), "0.0");
    }
}
