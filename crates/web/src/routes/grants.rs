//! The grants stage's routes: pages, then the API.

use axum::routing::{get, post};

use super::{Audience::*, Routes};
use crate::api::grants as api;
use crate::views::grants as pages;

pub(super) fn add(r: Routes) -> Routes {
    r.add("GET", "/grants", SignedIn, get(pages::list))
        .add("POST", "/grants", FunderStaff, post(pages::make))
        .add("GET", "/grants/{id}", OwnGrant, get(pages::grant))
        .add(
            "POST",
            "/grants/{id}/offer",
            FunderStaff,
            post(pages::offer),
        )
        .add(
            "POST",
            "/grants/{id}/withdraw",
            FunderStaff,
            post(pages::withdraw),
        )
        .add(
            "POST",
            "/grants/{id}/accept",
            GrantRecipient,
            post(pages::accept),
        )
        .add(
            "POST",
            "/grants/{id}/start",
            FunderStaff,
            post(pages::start),
        )
        .add(
            "GET",
            "/grants/{id}/variation",
            FunderAdmin,
            get(pages::variation_form),
        )
        .add(
            "POST",
            "/grants/{id}/variation",
            FunderAdmin,
            post(pages::vary),
        )
        .add(
            "POST",
            "/grants/{id}/confirmations",
            FunderAdmin,
            post(pages::confirm),
        )
        .add("GET", "/api/v1/grants", SignedIn, get(api::grants))
        .add("POST", "/api/v1/grants", FunderStaff, post(api::make))
        .add("GET", "/api/v1/grants/{id}", OwnGrant, get(api::grant))
        .add(
            "POST",
            "/api/v1/grants/{id}/offer",
            FunderStaff,
            post(api::offer),
        )
        .add(
            "POST",
            "/api/v1/grants/{id}/withdraw",
            FunderStaff,
            post(api::withdraw),
        )
        .add(
            "POST",
            "/api/v1/grants/{id}/accept",
            GrantRecipient,
            post(api::accept),
        )
        .add(
            "POST",
            "/api/v1/grants/{id}/start",
            FunderStaff,
            post(api::start),
        )
        .add(
            "POST",
            "/api/v1/grants/{id}/variations",
            FunderAdmin,
            post(api::vary),
        )
        .add(
            "POST",
            "/api/v1/grants/{id}/confirmations",
            FunderAdmin,
            post(api::confirm),
        )
}
