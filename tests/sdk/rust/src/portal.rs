//! The portal-scope step: tokens minted through the SDK's own `AppPortalAccessIn` (read-only,
//! a capability list, a session id, a too-short expiry) and `expire_all` by session, each
//! limit checked against what hookd's API then allows. It must not start hookd (the flow
//! does).

use std::collections::BTreeSet;

use svix::{
    api::{Svix, SvixOptions},
    error::Error,
    models::{
        AppPortalAccessIn, AppPortalCapability, ApplicationTokenExpireIn, EndpointIn,
        EndpointSecretRotateIn,
    },
};

use crate::report::{status_of, Report};

pub async fn step(
    svix: &Svix,
    url: &str,
    app_id: &str,
    ep_id: &str,
    r: &mut Report,
) -> Result<(), String> {
    let e = |e: Error| format!("{e:?}");
    let tenant = |token: String| {
        Svix::new(
            token,
            Some(SvixOptions {
                server_url: Some(url.to_owned()),
                ..SvixOptions::default()
            }),
        )
    };
    let authentication = svix.authentication();
    let mint =
        |scope: AppPortalAccessIn| authentication.app_portal_access(app_id.to_owned(), scope, None);

    // `readOnly` is deprecated in this SDK in favour of `capabilities`, but the SDK still sends
    // it, so hookd honours it and the flow checks that.
    #[allow(deprecated)]
    let read_only_scope = AppPortalAccessIn {
        read_only: Some(true),
        session_id: Some("flow-read-only".into()),
        ..AppPortalAccessIn::new()
    };
    let read_only = tenant(mint(read_only_scope).await.map_err(e)?.token);
    let listed = read_only.endpoint().list(app_id.to_owned(), None).await;
    r.check(
        "a read-only portal token reads its endpoints",
        listed.as_ref().is_ok_and(|l| !l.data.is_empty()),
        listed.as_ref().err(),
    );
    r.check(
        "a read-only portal token cannot create an endpoint (403)",
        status_of(
            read_only
                .endpoint()
                .create(
                    app_id.to_owned(),
                    EndpointIn::new("https://example.com/ro".into()),
                    None,
                )
                .await,
        ) == Some(403),
        (),
    );
    r.check(
        "a read-only portal token cannot rotate the secret (403)",
        status_of(
            read_only
                .endpoint()
                .rotate_secret(
                    app_id.to_owned(),
                    ep_id.to_owned(),
                    EndpointSecretRotateIn::new(),
                    None,
                )
                .await,
        ) == Some(403),
        (),
    );

    let view_base = tenant(
        mint(AppPortalAccessIn {
            capabilities: Some(BTreeSet::from([AppPortalCapability::ViewBase])),
            session_id: Some("flow-view-base".into()),
            ..AppPortalAccessIn::new()
        })
        .await
        .map_err(e)?
        .token,
    );
    r.check(
        "a ViewBase-only portal token cannot read the signing secret (403)",
        status_of(
            view_base
                .endpoint()
                .get_secret(app_id.to_owned(), ep_id.to_owned())
                .await,
        ) == Some(403),
        (),
    );
    r.check(
        "an expiry under an hour is refused (422)",
        status_of(
            mint(AppPortalAccessIn {
                expiry: Some(60),
                ..AppPortalAccessIn::new()
            })
            .await,
        ) == Some(422),
        (),
    );

    svix.authentication()
        .expire_all(
            app_id.to_owned(),
            ApplicationTokenExpireIn {
                session_ids: Some(vec!["flow-read-only".into()]),
                ..ApplicationTokenExpireIn::new()
            },
            None,
        )
        .await
        .map_err(e)?;
    r.check(
        "expire-all by session ends that session's token (401)",
        status_of(read_only.endpoint().list(app_id.to_owned(), None).await) == Some(401),
        (),
    );
    let listed = view_base.endpoint().list(app_id.to_owned(), None).await;
    r.check(
        "and leaves other sessions' tokens working",
        listed.as_ref().is_ok_and(|l| !l.data.is_empty()),
        listed.as_ref().err(),
    );
    Ok(())
}
