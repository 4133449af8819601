//! Pages a reader can open to see the figure a verdict rests on, beside the API URL: the
//! World Bank's indicator page for the country and Our World in Data's chart for it.

use super::owid;

/// The human page for a series and country: `https://data.worldbank.org/indicator/{code}?
/// locations={iso2}` or `https://ourworldindata.org/grapher/{slug}?country=~{iso3}`.
pub fn page_url(source: &str, indicator: &str, iso3: &str, iso2: Option<&str>) -> Option<String> {
    let iso3 = Some(iso3).filter(|c| !c.is_empty());
    match source {
        owid::NAME => Some(owid::chart_page(indicator, iso3)),
        crate::claim::WORLD_BANK => {
            let mut url = format!("https://data.worldbank.org/indicator/{indicator}");
            if let Some(iso2) = iso2.filter(|c| !c.is_empty()) {
                url.push_str(&format!("?locations={iso2}"));
            }
            Some(url)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_for_both_sources() {
        assert_eq!(
            page_url("owid", "homicide-rate-unodc", "SLV", None).as_deref(),
            Some("https://ourworldindata.org/grapher/homicide-rate-unodc?country=~SLV")
        );
        assert_eq!(
            page_url("worldbank", "VC.IHR.PSRC.P5", "SLV", Some("SV")).as_deref(),
            Some("https://data.worldbank.org/indicator/VC.IHR.PSRC.P5?locations=SV")
        );
        assert_eq!(page_url("other", "x", "SLV", None), None);
    }
}
