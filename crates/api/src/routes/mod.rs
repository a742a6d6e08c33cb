//! The route table. Every route is registered through [`api_resources`],
//! which records, for each, its [`Scope`] (which middleware stack and which
//! listener serve it), its path and methods, and the policy [`Rule`] each
//! method applies. The contract test compares what is served with
//! `api-spec/openapi.yaml` in both directions; the policy test walks every
//! route × caller × relationship, and fails for a route it has no row for.
//!
//! Scopes and their middleware (innermost first; the whole app is also
//! wrapped, outermost first, by the request context, the head limits, and
//! problem+json for bare errors):
//! - **ops**: liveness and readiness, no token; on the main listener and on
//!   the ops listener (`FRIENDS_OPS_LISTEN`) when one is set;
//! - **private**: a bearer JWT (the `Caller` extractor), `Idempotency-Key`
//!   on every POST;
//! - **public**: the embed key is the caller (council websites): the gate
//!   (`embed::gate`) looks the key up, applies the rate limits (429 with
//!   `Retry-After`) and answers CORS for the key's origins only; no bearer
//!   token counts and no `Idempotency-Key` is kept (the caller is anonymous);
//! - **admin**: admin-only operations (embed keys, reindex): a bearer JWT,
//!   `Idempotency-Key` on every POST;
//! - **bulk**: the bulk import, a streamed body: a bearer JWT, no
//!   `Idempotency-Key` kept (the import is idempotent by `external_ref`);
//! - **assets**: the embed widget's script and demo page, for anyone, with
//!   a strict Content-Security-Policy.

mod admin;
mod aftercare;
mod blocks;
mod embed;
mod health;
mod introductions;
mod people;
mod reference;
mod search;

use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::{FromRequest, Handler, Resource, Responder, web};

use friends_domain::policy::{AgreementCommand, Command, Rule};

use crate::errors::method_not_allowed;
use crate::telemetry::catch_panics;

/// Which callers a route is for, and so its middleware and listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Probes: no token, also on the ops listener.
    Ops,
    /// Bearer-token callers: members, supporters, brokers, admins.
    Private,
    /// Embed-key callers (council websites).
    Public,
    /// Admin operations.
    Admin,
    /// Admin operations on a streamed body (bulk import): no
    /// `Idempotency-Key` is kept, because the body is not held whole and
    /// the operation is idempotent by its own keys.
    Bulk,
    /// The embed widget's script and demo page: anyone.
    Assets,
}

/// One path and the methods it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    /// Who it is for.
    pub scope: Scope,
    /// Path pattern, as in the spec (`/v1/people/{id}`).
    pub path: &'static str,
    /// Methods served.
    pub methods: Vec<Method>,
    /// The policy rule of each method, in the same order.
    pub rules: Vec<Rule>,
}

impl RouteSpec {
    /// The rule `method` applies, if it is served.
    pub fn rule(&self, method: &Method) -> Option<Rule> {
        self.methods.iter().position(|served| served == method).and_then(|index| self.rules.get(index).copied())
    }
}

/// A resource being registered, with its spec.
pub struct ApiResource {
    spec: RouteSpec,
    resource: Resource,
}

impl ApiResource {
    fn new(scope: Scope, path: &'static str) -> Self {
        Self { spec: RouteSpec { scope, path, methods: Vec::new(), rules: Vec::new() }, resource: web::resource(path) }
    }

    fn on<F, Args>(mut self, method: Method, rule: Rule, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        if method == Method::GET {
            // HEAD is GET without the body (actix-http leaves the body out).
            self.resource = self.resource.route(web::method(Method::HEAD).to(handler.clone()));
        }
        self.resource = self.resource.route(web::method(method.clone()).to(handler));
        self.spec.methods.push(method);
        self.spec.rules.push(rule);
        self
    }

    fn register(self, config: &mut web::ServiceConfig) {
        let mut allowed: Vec<&str> = self.spec.methods.iter().map(Method::as_str).collect();
        if self.spec.methods.contains(&Method::GET) {
            allowed.push("HEAD");
        }
        let allowed = allowed.join(", ");
        let resource = self.resource.default_service(web::to(move || {
            let allowed = allowed.clone();
            async move { method_not_allowed(&allowed) }
        }));
        // Each scope's own stack; `wrap` adds outside what came before.
        match self.spec.scope {
            Scope::Ops | Scope::Assets | Scope::Bulk => config.service(resource.wrap(from_fn(catch_panics))),
            Scope::Private | Scope::Admin => {
                config.service(resource.wrap(from_fn(catch_panics)).wrap(from_fn(crate::idempotency::idempotency)))
            }
            Scope::Public => {
                let mut served = self.spec.methods.clone();
                if served.contains(&Method::GET) {
                    served.push(Method::HEAD);
                }
                let served: std::sync::Arc<[Method]> = served.into();
                config.service(
                    resource.wrap(from_fn(catch_panics)).wrap(from_fn(move |request, next| {
                        crate::embed::gate::public_gate(served.clone(), request, next)
                    })),
                )
            }
        };
    }
}

fn api_resources() -> Vec<ApiResource> {
    use Scope::{Admin, Assets, Bulk, Ops, Private, Public};
    vec![
        ApiResource::new(Ops, "/healthz").on(Method::GET, Rule::Open, health::live),
        ApiResource::new(Ops, "/readyz").on(Method::GET, Rule::Open, health::ready),
        ApiResource::new(Private, "/v1/taxonomy").on(Method::GET, Rule::AnyCaller, reference::taxonomy),
        ApiResource::new(Private, "/v1/areas/outcodes/{outcode}").on(Method::GET, Rule::AnyCaller, reference::outcode),
        ApiResource::new(Private, "/v1/people").on(Method::POST, Rule::CreateProfile, people::create),
        ApiResource::new(Private, "/v1/people/{id}")
            .on(Method::GET, Rule::ManageProfile, people::read)
            .on(Method::PATCH, Rule::ManageProfile, people::update)
            .on(Method::DELETE, Rule::ManageProfile, people::erase),
        ApiResource::new(Private, "/v1/people/{id}/export").on(Method::GET, Rule::ManageProfile, people::export),
        ApiResource::new(Private, "/v1/people/{id}/suggestions").on(
            Method::GET,
            Rule::ManageProfile,
            people::suggestions,
        ),
        ApiResource::new(Private, "/v1/people/{id}/group-suggestions").on(
            Method::GET,
            Rule::ManageProfile,
            people::group_suggestions,
        ),
        ApiResource::new(Private, "/v1/people/{id}/check-ins").on(Method::GET, Rule::CheckIns, aftercare::list),
        ApiResource::new(Private, "/v1/check-ins/{id}").on(Method::POST, Rule::AnswerCheckIn, aftercare::answer),
        ApiResource::new(Private, "/v1/check-ins/{id}/resolve").on(
            Method::POST,
            Rule::ResolveCheckIn,
            aftercare::resolve,
        ),
        ApiResource::new(Private, "/v1/search").on(Method::GET, Rule::Search, search::search),
        ApiResource::new(Private, "/v1/blocks").on(Method::POST, Rule::ActFor, blocks::create),
        ApiResource::new(Private, "/v1/blocks/{id}").on(Method::DELETE, Rule::ActFor, blocks::remove),
        ApiResource::new(Private, "/v1/introductions")
            .on(Method::POST, Rule::RequestIntroduction, introductions::create)
            .on(Method::GET, Rule::ListIntroductions, introductions::list),
        ApiResource::new(Private, "/v1/introductions/{id}").on(Method::GET, Rule::SeeIntroduction, introductions::read),
        ApiResource::new(Private, "/v1/introductions/{id}/events").on(
            Method::GET,
            Rule::SeeIntroduction,
            introductions::events,
        ),
        ApiResource::new(Private, "/v1/introductions/{id}/approve").on(
            Method::POST,
            Rule::Introduction(Command::Approve),
            introductions::approve,
        ),
        ApiResource::new(Private, "/v1/introductions/{id}/decline").on(
            Method::POST,
            Rule::Introduction(Command::Decline),
            introductions::decline,
        ),
        ApiResource::new(Private, "/v1/introductions/{id}/consent").on(
            Method::POST,
            Rule::Introduction(Command::Consent),
            introductions::consent,
        ),
        ApiResource::new(Private, "/v1/introductions/{id}/withdraw").on(
            Method::POST,
            Rule::Introduction(Command::Leave),
            introductions::withdraw,
        ),
        ApiResource::new(Private, "/v1/introductions/{id}/end").on(
            Method::POST,
            Rule::Introduction(Command::Leave),
            introductions::end,
        ),
        ApiResource::new(Private, "/v1/introductions/{id}/agreement")
            .on(Method::GET, Rule::Agreement(AgreementCommand::Read), aftercare::read_agreement)
            .on(Method::PATCH, Rule::Agreement(AgreementCommand::Edit), aftercare::edit_agreement),
        ApiResource::new(Private, "/v1/introductions/{id}/agreement/confirm").on(
            Method::POST,
            Rule::Agreement(AgreementCommand::Confirm),
            aftercare::confirm_agreement,
        ),
        ApiResource::new(Private, "/v1/broker/queue").on(Method::GET, Rule::BrokerQueue, introductions::queue),
        ApiResource::new(Private, "/v1/broker/insights").on(Method::GET, Rule::Insights, aftercare::insights),
        ApiResource::new(Private, "/v1/reports").on(Method::POST, Rule::Report, introductions::report),
        ApiResource::new(Private, "/v1/reports/{id}/resolve").on(
            Method::POST,
            Rule::ResolveReport,
            introductions::resolve_report,
        ),
        ApiResource::new(Private, "/v1/enquiries/{id}/resolve").on(Method::POST, Rule::ResolveEnquiry, embed::resolve),
        ApiResource::new(Public, "/v1/public/search").on(Method::GET, Rule::EmbedKey, embed::search),
        ApiResource::new(Public, "/v1/public/enquiries").on(Method::POST, Rule::EmbedKey, embed::enquire),
        ApiResource::new(Admin, "/v1/admin/embed-keys").on(Method::POST, Rule::AdminOnly, embed::create_key).on(
            Method::GET,
            Rule::AdminOnly,
            embed::list_keys,
        ),
        ApiResource::new(Admin, "/v1/admin/embed-keys/{id}").on(Method::DELETE, Rule::AdminOnly, embed::revoke_key),
        ApiResource::new(Bulk, "/v1/admin/import").on(Method::POST, Rule::AdminOperation, admin::import),
        ApiResource::new(Admin, "/v1/admin/reindex").on(Method::POST, Rule::AdminOperation, admin::reindex),
        ApiResource::new(Assets, "/embed/widget.js").on(Method::GET, Rule::Open, embed::widget_script),
        ApiResource::new(Assets, "/embed/demo").on(Method::GET, Rule::Open, embed::demo),
    ]
}

/// Every route served, for the contract test.
pub fn route_specs() -> Vec<RouteSpec> {
    api_resources().into_iter().map(|resource| resource.spec).collect()
}

/// Registers every route (the main listener).
pub fn configure(config: &mut web::ServiceConfig) {
    for resource in api_resources() {
        resource.register(config);
    }
}

/// Registers the ops routes only (the ops listener).
pub fn configure_ops(config: &mut web::ServiceConfig) {
    for resource in api_resources().into_iter().filter(|resource| resource.spec.scope == Scope::Ops) {
        resource.register(config);
    }
}
