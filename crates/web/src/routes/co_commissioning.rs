//! The co-commissioning stage's routes: pages, then the API.

use axum::routing::{get, post, put};

use super::{upload, Audience::*, Routes};
use crate::api::co_commissioning as api;
use crate::views::co_commissioning as pages;

pub(super) fn add(r: Routes) -> Routes {
    r.add("GET", "/calls", SignedIn, get(pages::calls))
        .add("GET", "/calls/new", FunderAdmin, get(pages::new_call))
        .add("POST", "/calls", FunderAdmin, post(pages::create_call))
        .add("GET", "/calls/{id}", SignedIn, get(pages::call))
        .add(
            "POST",
            "/calls/{id}/copy",
            FunderAdmin,
            post(pages::copy_call),
        )
        .add(
            "POST",
            "/calls/{id}/questions",
            FunderAdmin,
            post(pages::add_question),
        )
        .add(
            "POST",
            "/calls/{id}/criteria",
            FunderAdmin,
            post(pages::add_criterion),
        )
        .add("POST", "/calls/{id}/bids", Bidder, post(pages::start_bid))
        .add(
            "GET",
            "/calls/{id}/ranking",
            FunderStaff,
            get(pages::ranking),
        )
        .add(
            "GET",
            "/calls/{id}/bids.csv",
            FunderStaff,
            get(pages::bids_csv),
        )
        .add(
            "GET",
            "/calls/{id}/bids.xlsx",
            FunderStaff,
            get(pages::bids_xlsx),
        )
        .add("GET", "/bids/{id}", BidParties, get(pages::bid))
        .add("GET", "/bids/{id}/edit", BidLead, get(pages::edit_bid))
        .add("POST", "/bids/{id}/edit", BidLead, post(pages::save_bid))
        .add(
            "POST",
            "/bids/{id}/submit",
            BidLead,
            post(pages::submit_bid),
        )
        .add(
            "POST",
            "/bids/{id}/withdraw",
            BidLead,
            post(pages::withdraw_bid),
        )
        .add(
            "POST",
            "/bids/{id}/files/{key}",
            BidLead,
            upload(post(pages::attach_file)),
        )
        .add(
            "GET",
            "/bids/{id}/files/{key}",
            BidParties,
            get(pages::file),
        )
        .add("GET", "/assessments", SignedIn, get(pages::queue))
        .add(
            "GET",
            "/bids/{id}/assessment",
            AssignedAssessor,
            get(pages::assessment),
        )
        .add(
            "POST",
            "/bids/{id}/conflict",
            AssignedAssessor,
            post(pages::declare),
        )
        .add(
            "POST",
            "/bids/{id}/scores",
            AssignedAssessor,
            post(pages::score),
        )
        .add("GET", "/bids/{id}/scores", FunderStaff, get(pages::scores))
        .add(
            "POST",
            "/bids/{id}/assessors",
            FunderStaff,
            post(pages::assign),
        )
        .add(
            "POST",
            "/bids/{id}/moderation",
            FunderStaff,
            post(pages::moderate),
        )
        .add(
            "GET",
            "/bids/{id}/award",
            FunderAdmin,
            get(pages::award_form),
        )
        .add("POST", "/bids/{id}/award", FunderAdmin, post(pages::award))
        .add(
            "POST",
            "/bids/{id}/decline",
            FunderAdmin,
            post(pages::decline),
        )
        .add(
            "GET",
            "/co-commissioning/coverage",
            SignedIn,
            get(pages::coverage),
        )
        .add(
            "GET",
            "/co-commissioning/coverage.csv",
            SignedIn,
            get(pages::coverage_csv),
        )
        .add(
            "GET",
            "/co-commissioning/coverage.xlsx",
            SignedIn,
            get(pages::coverage_xlsx),
        )
        .add("GET", "/api/v1/calls", SignedIn, get(api::calls))
        .add("POST", "/api/v1/calls", FunderAdmin, post(api::open_call))
        .add("GET", "/api/v1/calls/{id}", SignedIn, get(api::call))
        .add(
            "POST",
            "/api/v1/calls/{id}/copy",
            FunderAdmin,
            post(api::copy_call),
        )
        .add(
            "POST",
            "/api/v1/calls/{id}/questions",
            FunderAdmin,
            post(api::add_question),
        )
        .add(
            "POST",
            "/api/v1/calls/{id}/criteria",
            FunderAdmin,
            post(api::add_criterion),
        )
        .add(
            "POST",
            "/api/v1/calls/{id}/bids",
            Bidder,
            post(api::start_bid),
        )
        .add(
            "GET",
            "/api/v1/calls/{id}/ranking",
            FunderStaff,
            get(api::ranking),
        )
        .add("GET", "/api/v1/bids/{id}", BidParties, get(api::bid))
        .add("PUT", "/api/v1/bids/{id}", BidLead, put(api::save_bid))
        .add(
            "POST",
            "/api/v1/bids/{id}/submit",
            BidLead,
            post(api::submit),
        )
        .add(
            "POST",
            "/api/v1/bids/{id}/withdraw",
            BidLead,
            post(api::withdraw),
        )
        .add(
            "POST",
            "/api/v1/bids/{id}/assessors",
            FunderStaff,
            post(api::assign),
        )
        .add(
            "POST",
            "/api/v1/bids/{id}/conflict",
            AssignedAssessor,
            post(api::declare),
        )
        .add(
            "PUT",
            "/api/v1/bids/{id}/scores",
            AssignedAssessor,
            put(api::score),
        )
        .add(
            "GET",
            "/api/v1/bids/{id}/scores",
            FunderStaff,
            get(api::scores),
        )
        .add(
            "PUT",
            "/api/v1/bids/{id}/moderation",
            FunderStaff,
            put(api::moderate),
        )
        .add(
            "POST",
            "/api/v1/bids/{id}/award",
            FunderAdmin,
            post(api::award),
        )
        .add(
            "POST",
            "/api/v1/bids/{id}/decline",
            FunderAdmin,
            post(api::decline),
        )
        .add(
            "GET",
            "/api/v1/co-commissioning/coverage",
            SignedIn,
            get(api::coverage),
        )
        .add(
            "GET",
            "/api/v1/assessments",
            SignedIn,
            get(api::assessments),
        )
}
