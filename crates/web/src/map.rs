//! Borough boundaries drawn as SVG on the server, so maps need no JavaScript.
//!
//! Coordinates are WGS84 longitude and latitude; at London's latitude an equirectangular
//! projection with longitude scaled by cos(latitude) is accurate enough for a picture.
//! (Floating point is fine here: these are drawing coordinates, never money.)

/// Polygons, each a list of rings, each a list of (longitude, latitude) points.
type Polygons = Vec<Vec<Vec<(f64, f64)>>>;

/// A GeoJSON Polygon or MultiPolygon geometry's polygons; empty for anything else.
fn polygons(geometry_json: &str) -> Polygons {
    let Ok(g) = serde_json::from_str::<serde_json::Value>(geometry_json) else {
        return Vec::new();
    };
    match g["type"].as_str() {
        Some("Polygon") => vec![rings(&g["coordinates"])],
        Some("MultiPolygon") => g["coordinates"]
            .as_array()
            .map(|ps| ps.iter().map(rings).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// A figure on the map: its value, and its text.
type Figure = (i64, String);

/// One borough on the London map.
pub struct MapArea<'a> {
    pub code: &'a str,
    pub name: &'a str,
    /// The boundary's GeoJSON geometry.
    pub geometry: &'a str,
    /// What colours it, and the text shown for it.
    pub value: Option<(i64, String)>,
}

/// Three blues from light to dark, each at least 3:1 in contrast with the next (WCAG 1.4.11):
/// 3.67:1 and 3.33:1. Five shades cannot all differ by 3:1, so the map has three bands.
const SHADES: [&str; 3] = ["#e8f1f8", "#2f80c4", "#0b2a5c"];

/// Areas with no figure are hatched, not a fourth colour, so they read apart from the lightest band.
const NO_FIGURE_STROKE: &str = "#505a5f";

/// Each map's pattern needs its own id: a page may show several maps.
static MAP_IDS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The projected path of each area, and the drawing's size, fitted to `width`.
struct Projection {
    paths: Vec<String>,
    width: f64,
    height: f64,
}

fn project(geometries: &[Polygons], width: f64) -> Option<Projection> {
    let points: Vec<(f64, f64)> = geometries
        .iter()
        .flatten()
        .flatten()
        .flatten()
        .copied()
        .collect();
    if points.is_empty() {
        return None;
    }
    let k = 51.5f64.to_radians().cos();
    let (min_x, max_x) = points.iter().fold((f64::MAX, f64::MIN), |(a, b), p| {
        (a.min(p.0 * k), b.max(p.0 * k))
    });
    let (min_y, max_y) = points
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(-p.1), b.max(-p.1)));
    let scale = width / (max_x - min_x).max(1e-9);
    let paths = geometries
        .iter()
        .map(|polygons| {
            let mut d = String::new();
            for ring in polygons.iter().flatten() {
                for (i, (lon, lat)) in ring.iter().enumerate() {
                    d.push_str(&format!(
                        "{}{:.1},{:.1} ",
                        if i == 0 { "M" } else { "L" },
                        (lon * k - min_x) * scale,
                        (-lat - min_y) * scale
                    ));
                }
                d.push_str("Z ");
            }
            d.trim_end().to_string()
        })
        .collect();
    Some(Projection {
        paths,
        width,
        height: (max_y - min_y) * scale,
    })
}

/// A choropleth of London: each area shaded by its value in three equal-count bands, each a
/// link to the area's page (with a visible focus), followed by a legend in the page's own
/// text giving each colour's range and the "no figure" hatching. The table beside it carries
/// the same figures.
pub fn london_svg(areas: &[MapArea], title: &str) -> String {
    let geometries: Vec<Polygons> = areas.iter().map(|a| polygons(a.geometry)).collect();
    let Some(projection) = project(&geometries, 640.0) else {
        return String::new();
    };
    let mut values: Vec<i64> = areas
        .iter()
        .filter_map(|a| a.value.as_ref().map(|v| v.0))
        .collect();
    values.sort_unstable();
    let band = |v: i64| -> usize {
        let below = values.iter().filter(|x| **x < v).count();
        (below * SHADES.len() / values.len().max(1)).min(SHADES.len() - 1)
    };
    let id = MAP_IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let pattern = format!("lcpf-no-figure-{id}");
    let mut svg = format!(
        r##"<svg class="lcpf-choropleth" viewBox="0 0 {w:.0} {h:.0}" width="100%" xmlns="http://www.w3.org/2000/svg" role="group" aria-label="{t}"><title>{t}</title><defs><pattern id="{pattern}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/><line x1="0" y1="0" x2="0" y2="6" stroke="{NO_FIGURE_STROKE}" stroke-width="2"/></pattern></defs>"##,
        w = projection.width,
        h = projection.height,
        t = escape(title)
    );
    let mut missing = false;
    // Each band's lowest and highest figure, as the areas' own texts say them.
    let mut ranges: Vec<Option<(Figure, Figure)>> = vec![None; SHADES.len()];
    for (area, d) in areas.iter().zip(&projection.paths) {
        let (fill, label) = match &area.value {
            Some((v, text)) => {
                let b = band(*v);
                let range = ranges[b].get_or_insert(((*v, text.clone()), (*v, text.clone())));
                if *v < range.0 .0 {
                    range.0 = (*v, text.clone());
                }
                if *v > range.1 .0 {
                    range.1 = (*v, text.clone());
                }
                (SHADES[b].to_string(), format!("{}: {}", area.name, text))
            }
            None => {
                missing = true;
                (
                    format!("url(#{pattern})"),
                    format!("{}: no figure", area.name),
                )
            }
        };
        svg.push_str(&format!(
            r##"<a href="/areas/{code}" aria-label="{label}"><title>{label}</title><path d="{d}" fill="{fill}" stroke="#0b0c0c" stroke-width="0.75"/></a>"##,
            code = escape(area.code),
            label = escape(&label),
        ));
    }
    svg.push_str("</svg>");
    // The legend is HTML, so it reads in the page's font and size and reflows.
    svg.push_str(r#"<ul class="govuk-list lcpf-map-legend" aria-label="Key to the map">"#);
    for (i, range) in ranges.iter().enumerate() {
        if let Some(((_, low), (_, high))) = range {
            let words = if low == high {
                low.clone()
            } else {
                format!("{low} to {high}")
            };
            svg.push_str(&format!(
                r#"<li><span class="lcpf-swatch lcpf-swatch--{i}" aria-hidden="true"></span>{}</li>"#,
                escape(&words)
            ));
        }
    }
    if missing {
        svg.push_str(r#"<li><span class="lcpf-swatch lcpf-swatch--none" aria-hidden="true"></span>No figure</li>"#);
    }
    svg.push_str("</ul>");
    svg
}

/// One borough on a map of London: the others drawn faintly around it for context, each
/// still a link to its own page.
pub fn borough_in_london(
    boundaries: &[(String, String, Option<String>)],
    code: &str,
    title: &str,
) -> Option<String> {
    let shown: Vec<&(String, String, Option<String>)> =
        boundaries.iter().filter(|b| b.2.is_some()).collect();
    if !shown.iter().any(|b| b.0 == code) {
        return None;
    }
    let geometries: Vec<Polygons> = shown
        .iter()
        .map(|b| polygons(b.2.as_deref().unwrap_or_default()))
        .collect();
    let projection = project(&geometries, 480.0)?;
    let mut svg = format!(
        r##"<svg class="lcpf-choropleth lcpf-locator" viewBox="0 0 {w:.0} {h:.0}" width="100%" xmlns="http://www.w3.org/2000/svg" role="group" aria-label="{t}"><title>{t}</title>"##,
        w = projection.width,
        h = projection.height,
        t = escape(title)
    );
    // The borough last, so its outline is drawn over its neighbours'.
    let mut order: Vec<usize> = (0..shown.len()).collect();
    order.sort_by_key(|i| shown[*i].0 == code);
    for i in order {
        let (c, name, _) = shown[i];
        let (fill, stroke, width) = if c == code {
            ("#1d70b8", "#0b0c0c", "2")
        } else {
            ("#f3f2f1", "#505a5f", "0.75")
        };
        svg.push_str(&format!(
            r##"<a href="/areas/{c}" aria-label="{n}"><title>{n}</title><path d="{d}" fill="{fill}" stroke="{stroke}" stroke-width="{width}"/></a>"##,
            c = escape(c),
            n = escape(name),
            d = projection.paths[i],
        ));
    }
    svg.push_str("</svg>");
    Some(svg)
}

fn rings(polygon: &serde_json::Value) -> Vec<Vec<(f64, f64)>> {
    polygon
        .as_array()
        .map(|rs| {
            rs.iter()
                .filter_map(|r| r.as_array())
                .map(|r| {
                    r.iter()
                        .filter_map(|p| Some((p[0].as_f64()?, p[1].as_f64()?)))
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    #[test]
    fn shades_areas_by_value_and_links_them() {
        let g =
            r#"{"type":"Polygon","coordinates":[[[-0.1,51.5],[0.0,51.5],[0.0,51.6],[-0.1,51.5]]]}"#;
        let h =
            r#"{"type":"Polygon","coordinates":[[[0.0,51.5],[0.1,51.5],[0.1,51.6],[0.0,51.5]]]}"#;
        let svg = super::london_svg(
            &[
                super::MapArea {
                    code: "E1",
                    name: "Low",
                    geometry: g,
                    value: Some((1, "£1".into())),
                },
                super::MapArea {
                    code: "E2",
                    name: "High",
                    geometry: h,
                    value: Some((9, "£9".into())),
                },
            ],
            "Allocations",
        );
        assert!(svg.contains(r#"href="/areas/E1" aria-label="Low: £1""#));
        assert!(svg.contains(super::SHADES[0]) && svg.contains(super::SHADES[1]));
        // The legend gives each colour's figures, in HTML; no area lacks one, so no hatching.
        assert!(
            svg.contains(r#"lcpf-swatch--0" aria-hidden="true"></span>£1</li>"#),
            "{svg}"
        );
        assert!(
            svg.contains(r#"lcpf-swatch--1" aria-hidden="true"></span>£9</li>"#),
            "{svg}"
        );
        assert!(!svg.contains("No figure"));
    }

    /// WCAG relative luminance of `#rrggbb`.
    fn luminance(hex: &str) -> f64 {
        let c: Vec<f64> = (0..3)
            .map(|i| f64::from(u8::from_str_radix(&hex[1 + 2 * i..3 + 2 * i], 16).unwrap()) / 255.0)
            .map(|x| {
                if x <= 0.03928 {
                    x / 12.92
                } else {
                    ((x + 0.055) / 1.055).powf(2.4)
                }
            })
            .collect();
        0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
    }

    #[test]
    fn neighbouring_shades_differ_by_at_least_three_to_one() {
        for pair in super::SHADES.windows(2) {
            let (a, b) = (luminance(pair[0]), luminance(pair[1]));
            let ratio = (a.max(b) + 0.05) / (a.min(b) + 0.05);
            assert!(ratio >= 3.0, "{} and {}: {ratio:.2}:1", pair[0], pair[1]);
        }
    }

    #[test]
    fn an_area_without_a_figure_is_hatched_and_keyed() {
        let g =
            r#"{"type":"Polygon","coordinates":[[[-0.1,51.5],[0.0,51.5],[0.0,51.6],[-0.1,51.5]]]}"#;
        let svg = super::london_svg(
            &[super::MapArea {
                code: "E1",
                name: "None",
                geometry: g,
                value: None,
            }],
            "Allocations",
        );
        assert!(
            svg.contains("fill=\"url(#lcpf-no-figure-") && svg.contains("No figure</li>"),
            "{svg}"
        );
    }

    #[test]
    fn a_borough_is_shown_among_its_neighbours() {
        let g =
            r#"{"type":"Polygon","coordinates":[[[-0.1,51.5],[0.0,51.5],[0.0,51.6],[-0.1,51.5]]]}"#
                .to_string();
        let h =
            r#"{"type":"Polygon","coordinates":[[[0.0,51.5],[0.1,51.5],[0.1,51.6],[0.0,51.5]]]}"#
                .to_string();
        let b = [
            ("E1".to_string(), "One".to_string(), Some(g)),
            ("E2".to_string(), "Two".to_string(), Some(h)),
        ];
        let svg = super::borough_in_london(&b, "E2", "Two in London").unwrap();
        assert!(svg.contains(r##"href="/areas/E1" aria-label="One"><title>One</title><path d="M"##));
        assert!(
            svg.find("/areas/E1") < svg.find("/areas/E2"),
            "the borough is drawn last, on top"
        );
        assert!(svg.contains("fill=\"#1d70b8\""));
        assert!(super::borough_in_london(&b, "E9", "x").is_none());
    }
}
