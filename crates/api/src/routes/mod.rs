//! The route table. Every route is registered through [`api_resources`],
//! which also records its path and methods, so the contract test can compare
//! what is served with `api-spec/openapi.yaml` in both directions.

mod blocks;
mod health;
mod introductions;
mod people;
mod reference;
mod search;

use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::{FromRequest, Handler, Resource, Responder, web};

use crate::errors::method_not_allowed;
use crate::telemetry::catch_panics;

/// One path and the methods it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    /// Path pattern, as in the spec (`/v1/people/{id}`).
    pub path: &'static str,
    /// Methods served.
    pub methods: Vec<Method>,
}

/// A resource being registered, with its spec.
pub struct ApiResource {
    spec: RouteSpec,
    resource: Resource,
}

impl ApiResource {
    fn new(path: &'static str) -> Self {
        Self { spec: RouteSpec { path, methods: Vec::new() }, resource: web::resource(path) }
    }

    fn on<F, Args>(mut self, method: Method, handler: F) -> Self
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
        self
    }

    fn register(self, config: &mut web::ServiceConfig) {
        let mut allowed: Vec<&str> = self.spec.methods.iter().map(Method::as_str).collect();
        if self.spec.methods.contains(&Method::GET) {
            allowed.push("HEAD");
        }
        let allowed = allowed.join(", ");
        let resource = self
            .resource
            .default_service(web::to(move || {
                let allowed = allowed.clone();
                async move { method_not_allowed(&allowed) }
            }))
            .wrap(from_fn(catch_panics));
        config.service(resource);
    }
}

fn api_resources() -> Vec<ApiResource> {
    vec![
        ApiResource::new("/healthz").on(Method::GET, health::live),
        ApiResource::new("/readyz").on(Method::GET, health::ready),
        ApiResource::new("/v1/taxonomy").on(Method::GET, reference::taxonomy),
        ApiResource::new("/v1/areas/outcodes/{outcode}").on(Method::GET, reference::outcode),
        ApiResource::new("/v1/people").on(Method::POST, people::create),
        ApiResource::new("/v1/people/{id}")
            .on(Method::GET, people::read)
            .on(Method::PATCH, people::update)
            .on(Method::DELETE, people::erase),
        ApiResource::new("/v1/people/{id}/export").on(Method::GET, people::export),
        ApiResource::new("/v1/people/{id}/suggestions").on(Method::GET, people::suggestions),
        ApiResource::new("/v1/search").on(Method::GET, search::search),
        ApiResource::new("/v1/blocks").on(Method::POST, blocks::create),
        ApiResource::new("/v1/blocks/{id}").on(Method::DELETE, blocks::remove),
        ApiResource::new("/v1/introductions")
            .on(Method::POST, introductions::create)
            .on(Method::GET, introductions::list),
        ApiResource::new("/v1/introductions/{id}").on(Method::GET, introductions::read),
        ApiResource::new("/v1/introductions/{id}/events").on(Method::GET, introductions::events),
        ApiResource::new("/v1/introductions/{id}/approve").on(Method::POST, introductions::approve),
        ApiResource::new("/v1/introductions/{id}/decline").on(Method::POST, introductions::decline),
        ApiResource::new("/v1/introductions/{id}/consent").on(Method::POST, introductions::consent),
        ApiResource::new("/v1/introductions/{id}/withdraw").on(Method::POST, introductions::withdraw),
        ApiResource::new("/v1/introductions/{id}/end").on(Method::POST, introductions::end),
        ApiResource::new("/v1/broker/queue").on(Method::GET, introductions::queue),
        ApiResource::new("/v1/reports").on(Method::POST, introductions::report),
        ApiResource::new("/v1/reports/{id}/resolve").on(Method::POST, introductions::resolve_report),
    ]
}

/// Every route served, for the contract test.
pub fn route_specs() -> Vec<RouteSpec> {
    api_resources().into_iter().map(|resource| resource.spec).collect()
}

/// Registers every route.
pub fn configure(config: &mut web::ServiceConfig) {
    for resource in api_resources() {
        resource.register(config);
    }
}
