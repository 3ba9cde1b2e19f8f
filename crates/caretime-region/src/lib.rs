//! Synthetic regions and the region file: where a region's facilities, clinicians and members
//! come from when there is no plan's data at hand, and how a region is read and written.
//!
//! - [`generate::generate`] builds a [`caretime_core::region::Region`] from
//!   [`generate::RegionParams`] (the `socal` preset: facilities across six counties, internal
//!   clinicians at a members-per-therapist ratio, an external network, members with homes,
//!   languages and accepted modalities). The same parameters and seed give the same region on
//!   every machine and version.
//! - [`file::read_region`] parses and checks a JSON region file; [`file::write_region_json`] and
//!   [`file::write_region_csv`] write one to any [`std::io::Write`], byte for byte the same for
//!   the same region.
//! - [`rows`] is a region as four tables of rows ([`rows::RegionRows`]): the columns of the CSV
//!   files and of the store's SQL tables. [`rows::region_rows`] makes them,
//!   [`rows::region_from_rows`] checks them into a region as strictly as the JSON reader (the
//!   two share one validation path), and [`rows::read_region_csv`] parses the CSV files first.
//!   Its module docs document every column.
//! - [`draws::Draws`] is the portable random stream (ChaCha8 words turned into uniforms, indices,
//!   exponential and geometric draws without `rand`'s distributions) that the generator and the
//!   simulator share.
//!
//! Not here: opening files or creating directories (the binary, later the store, does that and
//! hands this crate text, readers and writers); booking (caretime-engine).

pub mod draws;
pub mod file;
pub mod generate;
pub mod rows;
