//! Borough boundaries drawn as SVG on the server, so maps need no JavaScript.
//!
//! Coordinates are WGS84 longitude and latitude; at London's latitude an equirectangular
//! projection with longitude scaled by cos(latitude) is accurate enough for a picture.
//! (Floating point is fine here: these are drawing coordinates, never money.)

/// An SVG of one geometry (Polygon or MultiPolygon GeoJSON), or `None` if it has no rings.
pub fn boundary_svg(geometry_json: &str, title: &str) -> Option<String> {
    let geometry: serde_json::Value = serde_json::from_str(geometry_json).ok()?;
    let polygons: Vec<Vec<Vec<(f64, f64)>>> = match geometry["type"].as_str()? {
        "Polygon" => vec![rings(&geometry["coordinates"])],
        "MultiPolygon" => geometry["coordinates"]
            .as_array()?
            .iter()
            .map(rings)
            .collect(),
        _ => return None,
    };
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
    fn draws_a_polygon() {
        let g =
            r#"{"type":"Polygon","coordinates":[[[-0.1,51.5],[0.0,51.5],[0.0,51.6],[-0.1,51.5]]]}"#;
        let svg = super::boundary_svg(g, "Map of <Test>").unwrap();
        assert!(svg.contains("<path d=\"M") && svg.contains("Map of &lt;Test&gt;"));
        assert!(super::boundary_svg(r#"{"type":"Point","coordinates":[0,0]}"#, "x").is_none());
    }
}
