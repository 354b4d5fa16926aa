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

/// An SVG of one geometry (Polygon or MultiPolygon GeoJSON), or `None` if it has no rings.
pub fn boundary_svg(geometry_json: &str, title: &str) -> Option<String> {
    let polygons = polygons(geometry_json);
    let points: Vec<(f64, f64)> = polygons.iter().flatten().flatten().copied().collect();
    if points.is_empty() {
        return None;
    }
    let mid_lat = points.iter().map(|p| p.1).sum::<f64>() / points.len() as f64;
    let k = mid_lat.to_radians().cos();
    let xs = points.iter().map(|p| p.0 * k);
    let ys = points.iter().map(|p| -p.1);
    let (min_x, max_x) = xs
        .clone()
        .fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)));
    let (min_y, max_y) = ys
        .clone()
        .fold((f64::MAX, f64::MIN), |(a, b), y| (a.min(y), b.max(y)));
    let size = 300.0;
    let scale = size / (max_x - min_x).max(max_y - min_y).max(1e-9);
    let mut d = String::new();
    for ring in polygons.iter().flatten() {
        for (i, (lon, lat)) in ring.iter().enumerate() {
            let x = (lon * k - min_x) * scale + 10.0;
            let y = (-lat - min_y) * scale + 10.0;
            d.push_str(&format!(
                "{}{:.1},{:.1} ",
                if i == 0 { "M" } else { "L" },
                x,
                y
            ));
        }
        d.push_str("Z ");
    }
    let w = (max_x - min_x) * scale + 20.0;
    let h = (max_y - min_y) * scale + 20.0;
    Some(format!(
        r#"<svg class="lcpf-map" role="img" aria-labelledby="map-title" viewBox="0 0 {w:.0} {h:.0}" width="{w:.0}" height="{h:.0}" xmlns="http://www.w3.org/2000/svg"><title id="map-title">{}</title><path d="{}"/></svg>"#,
        escape(title),
        d.trim_end()
    ))
}

/// One borough on the London map.
pub struct MapArea<'a> {
    pub code: &'a str,
    pub name: &'a str,
    /// The boundary's GeoJSON geometry.
    pub geometry: &'a str,
    /// What colours it, and the text shown for it.
    pub value: Option<(i64, String)>,
}

/// Five blues from light to dark (GOV.UK palette tints); grey for no value.
const SHADES: [&str; 5] = ["#d2e2f1", "#a5c6e3", "#5694ca", "#1d70b8", "#003078"];

/// A choropleth of London: each area shaded by its value in five equal-count bands, each a
/// link to the area's page, with a legend. The table beside it carries the same figures.
pub fn london_svg(areas: &[MapArea], title: &str) -> String {
    let geometries: Vec<Polygons> = areas.iter().map(|a| polygons(a.geometry)).collect();
    let points: Vec<(f64, f64)> = geometries
        .iter()
        .flatten()
        .flatten()
        .flatten()
        .copied()
        .collect();
    if points.is_empty() {
        return String::new();
    }
    let k = 51.5f64.to_radians().cos();
    let (min_x, max_x) = points.iter().fold((f64::MAX, f64::MIN), |(a, b), p| {
        (a.min(p.0 * k), b.max(p.0 * k))
    });
    let (min_y, max_y) = points
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(-p.1), b.max(-p.1)));
    let width = 640.0;
    let scale = width / (max_x - min_x);
    let height = (max_y - min_y) * scale;
    let mut values: Vec<i64> = areas
        .iter()
        .filter_map(|a| a.value.as_ref().map(|v| v.0))
        .collect();
    values.sort_unstable();
    let band = |v: i64| -> usize {
        let below = values.iter().filter(|x| **x < v).count();
        (below * SHADES.len() / values.len().max(1)).min(SHADES.len() - 1)
    };
    let mut svg = format!(
        r#"<svg class="lcpf-choropleth" viewBox="0 0 {w:.0} {h:.0}" width="100%" xmlns="http://www.w3.org/2000/svg" role="group" aria-label="{t}"><title>{t}</title>"#,
        w = width,
        h = height + 40.0,
        t = escape(title)
    );
    for (area, polygons) in areas.iter().zip(&geometries) {
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
        let (fill, label) = match &area.value {
            Some((v, text)) => (SHADES[band(*v)], format!("{}: {}", area.name, text)),
            None => ("#f3f2f1", format!("{}: no figure", area.name)),
        };
        svg.push_str(&format!(
            r##"<a href="/areas/{code}" aria-label="{label}"><title>{label}</title><path d="{d}" fill="{fill}" stroke="#0b0c0c" stroke-width="0.75"/></a>"##,
            code = escape(area.code),
            label = escape(&label),
            d = d.trim_end()
        ));
    }
    // Legend: lightest = lowest fifth of the figures, darkest = highest.
    let y = height + 12.0;
    svg.push_str(&format!(
        r##"<text x="0" y="{:.0}" font-size="14" fill="#0b0c0c">Lower</text>"##,
        y + 13.0
    ));
    for (i, shade) in SHADES.iter().enumerate() {
        svg.push_str(&format!(r##"<rect x="{:.0}" y="{y:.0}" width="36" height="18" fill="{shade}" stroke="#0b0c0c" stroke-width="0.5"/>"##, 50.0 + 38.0 * i as f64));
    }
    svg.push_str(&format!(
        r##"<text x="{:.0}" y="{:.0}" font-size="14" fill="#0b0c0c">Higher</text></svg>"##,
        50.0 + 38.0 * 5.0 + 6.0,
        y + 13.0
    ));
    svg
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
        assert!(svg.contains(super::SHADES[0]) && svg.contains(super::SHADES[4]));
    }

    #[test]
    fn draws_a_polygon() {
        let g =
            r#"{"type":"Polygon","coordinates":[[[-0.1,51.5],[0.0,51.5],[0.0,51.6],[-0.1,51.5]]]}"#;
        let svg = super::boundary_svg(g, "Map of <Test>").unwrap();
        assert!(svg.contains("<path d=\"M") && svg.contains("Map of &lt;Test&gt;"));
        assert!(super::boundary_svg(r#"{"type":"Point","coordinates":[0,0]}"#, "x").is_none());
    }
}
