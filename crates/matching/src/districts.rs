//! Postcode districts as small integers, with every district's neighbours
//! within the longest travel limit, nearest first.

use std::collections::HashMap;

use friends_domain::areas::{Areas, District};

/// Longest travel limit a profile may set, in km.
pub const MAX_TRAVEL_KM: f64 = 100.0;

/// Districts, their authorities, and distances between them.
#[derive(Debug, Clone)]
pub struct DistrictTable {
    districts: Vec<District>,
    outcodes: Vec<String>,
    authority_names: Vec<String>,
    index: HashMap<String, u16>,
    /// For each district, `(neighbour, km)` within [`MAX_TRAVEL_KM`],
    /// including itself at 0, sorted by distance then index.
    neighbours: Vec<Vec<(u16, f32)>>,
}

impl DistrictTable {
    /// Builds the table (about 8 million distances for Great Britain; done
    /// once at start).
    pub fn new(areas: &Areas) -> Self {
        let mut districts: Vec<District> = areas.districts().cloned().collect();
        districts.sort_by(|left, right| left.outcode.cmp(&right.outcode));
        let outcodes: Vec<String> = districts.iter().map(|district| district.outcode.clone()).collect();
        let authority_names = districts
            .iter()
            .map(|district| {
                areas.authority_name(&district.authority_code).unwrap_or(&district.authority_name).to_owned()
            })
            .collect();
        let index = outcodes.iter().enumerate().map(|(position, outcode)| (outcode.clone(), position as u16)).collect();
        let mut table = Self { districts, outcodes, authority_names, index, neighbours: Vec::new() };
        table.neighbours = (0..table.districts.len() as u16)
            .map(|here| {
                let latitude = table.districts[usize::from(here)].latitude;
                let mut near: Vec<(u16, f32)> = (0..table.districts.len() as u16)
                    // 100 km is under 0.9 degrees of latitude anywhere: skip
                    // the trigonometry for pairs that cannot be in reach.
                    .filter(|&there| (table.districts[usize::from(there)].latitude - latitude).abs() <= 0.95)
                    .filter_map(|there| {
                        let km = table.distance_km(here, there);
                        (f64::from(km) <= MAX_TRAVEL_KM).then_some((there, km))
                    })
                    .collect();
                near.sort_by(|left, right| left.1.total_cmp(&right.1).then(left.0.cmp(&right.0)));
                near
            })
            .collect();
        table
    }

    /// Index of an outcode.
    pub fn index(&self, outcode: &str) -> Option<u16> {
        self.index.get(outcode).copied()
    }

    /// Number of districts.
    pub fn len(&self) -> usize {
        self.outcodes.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.outcodes.is_empty()
    }

    /// The outcode at an index.
    pub fn outcode(&self, district: u16) -> &str {
        &self.outcodes[usize::from(district)]
    }

    /// The authority name of a district.
    pub fn authority_name(&self, district: u16) -> &str {
        &self.authority_names[usize::from(district)]
    }

    /// Neighbours within [`MAX_TRAVEL_KM`], nearest first.
    pub fn neighbours(&self, district: u16) -> &[(u16, f32)] {
        &self.neighbours[usize::from(district)]
    }

    /// Distance between two districts' centroids in km. Symmetric to the
    /// last bit (computed in index order), so that swapping two people can
    /// never change their score.
    pub fn distance_km(&self, from: u16, to: u16) -> f32 {
        let (low, high) = if from <= to { (from, to) } else { (to, from) };
        self.districts[usize::from(low)].distance_km(&self.districts[usize::from(high)]) as f32
    }
}
