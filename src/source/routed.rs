//! One [`Source`] for every claim of a batch: each request goes to Our World in Data when its
//! indicator is a chart slug, to the World Bank otherwise (claim validation keeps the two
//! shapes apart). The country list is the World Bank's for both.

use super::owid::{self, Owid};
use super::worldbank::WorldBank;
use super::{Series, SeriesRequest, Source, SourceError};
use crate::claim::country::CountryInfo;
use crate::config::Config;

/// The World Bank and Our World in Data behind one [`Source`].
#[derive(Debug, Clone)]
pub struct Routed {
    worldbank: WorldBank,
    owid: Owid,
}

impl Routed {
    /// Both clients from the config.
    pub fn new(config: &Config) -> Result<Self, SourceError> {
        Ok(Self {
            worldbank: WorldBank::new(&config.worldbank)?,
            owid: Owid::new(&config.owid, &config.worldbank)?,
        })
    }
}

impl Source for Routed {
    fn name(&self) -> &'static str {
        "worldbank+owid"
    }

    async fn fetch_series(&self, request: &SeriesRequest) -> Result<Series, SourceError> {
        if owid::is_slug(&request.indicator) {
            self.owid.fetch_series(request).await
        } else {
            self.worldbank.fetch_series(request).await
        }
    }

    fn begin_batch(&self) {
        self.worldbank.begin_batch();
        self.owid.begin_batch();
    }

    async fn fetch_countries(&self) -> Result<Vec<CountryInfo>, SourceError> {
        self.worldbank.fetch_countries().await
    }
}
