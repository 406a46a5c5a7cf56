//! The one route table. The router, the OpenAPI document and `template.yaml`
//! are all checked against it, so a route cannot exist in one and not the others.

/// The Lambda function that serves a route in AWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Function {
    Signup,
    Activation,
    Auth,
    Inscription,
    Documents,
    /// The exams office's function: the console's events, and the Office
    /// API (`/office/`) for the staff.
    Admin,
}

impl Function {
    pub const ALL: [Function; 6] = [
        Function::Signup,
        Function::Activation,
        Function::Auth,
        Function::Inscription,
        Function::Documents,
        Function::Admin,
    ];

    /// The logical id of the function in `template.yaml`.
    pub fn logical_id(self) -> &'static str {
        match self {
            Function::Signup => "SignupFunction",
            Function::Activation => "ActivationFunction",
            Function::Auth => "AuthFunction",
            Function::Inscription => "InscriptionFunction",
            Function::Documents => "DocumentsFunction",
            Function::Admin => "AdminFunction",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    /// In API Gateway's syntax: `{kind}`, `{proxy+}`.
    pub path: &'static str,
    pub function: Function,
}

/// The prefix of the Office API's routes.
pub const OFFICE_PREFIX: &str = "/office/";

impl Route {
    /// Whether the route takes a staff member's token, verified by the HTTP
    /// API's JWT authorizer (`template.yaml`): every Office API route but
    /// `GET /office/config`, which tells the pages how to get one.
    pub fn needs_staff_token(&self) -> bool {
        self.path.starts_with(OFFICE_PREFIX) && self.path != "/office/config"
    }

    /// Whether the route serves the candidates' portal (an HTML page or its
    /// assets) rather than the JSON API: such routes are not in the OpenAPI
    /// document.
    #[cfg(feature = "portal")]
    pub fn is_portal(&self) -> bool {
        super::portal::is_portal_path(self.path)
    }

    /// Whether the route serves the back office's pages (an HTML page under
    /// [`GESTION`] or their assets, `http/gestion.rs`): such routes are not
    /// in the OpenAPI document either.
    pub fn is_gestion(&self) -> bool {
        self.path == GESTION || self.path.starts_with("/gestion/")
    }
}

/// The back office's home page; its other pages and assets are under it.
pub const GESTION: &str = "/gestion";

/// The function behind the HTTP API's `$default` route (`template.yaml`):
/// every request no route matches reaches it, and it answers as the runner
/// does (see `http::unrouted`), not with API Gateway's own
/// `{"message":"Not Found"}`. The auth function serves the portal's pages,
/// so a browser's unknown address gets a page of the same site.
pub const DEFAULT_ROUTE: Function = Function::Auth;

/// Whether `path` is an instance of `pattern`, a route's path in API
/// Gateway's syntax (`{name}` stands for one segment).
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let mut segments = path.split('/');
    let all_match = pattern.split('/').all(|part| match segments.next() {
        Some(segment) if part.starts_with('{') => !segment.is_empty(),
        Some(segment) => segment == part,
        None => false,
    });
    all_match && segments.next().is_none()
}

const fn route(method: &'static str, path: &'static str, function: Function) -> Route {
    Route {
        method,
        path,
        function,
    }
}

/// Every public route of the API (the local runner adds `/_local/*`).
pub const ROUTES: &[Route] = &[
    // Reference data, served by the auth function (it is the lightest).
    route("GET", "/health", Function::Auth),
    route("GET", "/calendar", Function::Auth),
    route("GET", "/catalogue", Function::Auth),
    route("GET", "/openapi.json", Function::Auth),
    // Accounts.
    route("POST", "/auth/signup", Function::Signup),
    route("POST", "/auth/resend-activation", Function::Signup),
    route("POST", "/auth/activate", Function::Activation),
    route("POST", "/auth/login", Function::Auth),
    route("POST", "/auth/logout", Function::Auth),
    route("POST", "/auth/password-reset", Function::Auth),
    route("POST", "/auth/password-reset/confirm", Function::Auth),
    route("GET", "/me", Function::Auth),
    route("POST", "/auth/password", Function::Auth),
    route("POST", "/auth/logout-all", Function::Auth),
    route("POST", "/auth/login-link", Function::Auth),
    route("POST", "/auth/login-link/confirm", Function::Auth),
    // Inscription.
    route("GET", "/inscription", Function::Inscription),
    route("PUT", "/inscription", Function::Inscription),
    route("GET", "/inscription/pieces", Function::Inscription),
    route("POST", "/inscription/withdraw", Function::Inscription),
    // Documents.
    route("GET", "/inscription/confirmation.pdf", Function::Documents),
    route(
        "POST",
        "/inscription/pieces/{kind}/uploads",
        Function::Documents,
    ),
    route(
        "DELETE",
        "/inscription/pieces/{kind}/files/{id}",
        Function::Documents,
    ),
    // The Office API, for the exams office's staff (http/office.rs): every
    // route but `/office/config` behind the HTTP API's JWT authorizer.
    route("POST", "/office/actions", Function::Admin),
    route("GET", "/office/config", Function::Admin),
    // The candidates' portal (http/portal.rs), served by the auth function.
    route("GET", "/", Function::Auth),
    route("GET", "/signup", Function::Auth),
    route("GET", "/activate", Function::Auth),
    route("GET", "/login", Function::Auth),
    route("GET", "/forgot-password", Function::Auth),
    route("GET", "/reset-password", Function::Auth),
    route("GET", "/login-link", Function::Auth),
    route("GET", "/m-inscrire", Function::Auth),
    route("GET", "/mes-documents", Function::Auth),
    route("GET", "/aide", Function::Auth),
    route("GET", "/mentions-legales", Function::Auth),
    route("GET", "/donnees-personnelles", Function::Auth),
    route("GET", "/accessibilite", Function::Auth),
    route("GET", "/assets/{file}", Function::Auth),
    // The back office's pages (http/gestion.rs), served by the admin
    // function beside the Office API they call.
    route("GET", "/gestion", Function::Admin),
    route("GET", "/gestion/connexion", Function::Admin),
    route("GET", "/gestion/recherche", Function::Admin),
    route("GET", "/gestion/dossier", Function::Admin),
    route("GET", "/gestion/prolongation", Function::Admin),
    route("GET", "/gestion/exports", Function::Admin),
    route("GET", "/gestion/courriels", Function::Admin),
    route("GET", "/gestion/assets/{file}", Function::Admin),
];

#[cfg(test)]
mod tests {
    use super::path_matches;

    #[test]
    fn a_path_matches_its_route_with_one_segment_per_parameter() {
        assert!(path_matches("/inscription", "/inscription"));
        assert!(path_matches("/assets/{file}", "/assets/ui.js"));
        assert!(path_matches(
            "/inscription/pieces/{kind}/uploads",
            "/inscription/pieces/identity_document/uploads"
        ));
        assert!(!path_matches("/assets/{file}", "/assets/"));
        assert!(!path_matches("/assets/{file}", "/assets/a/b"));
        assert!(!path_matches("/inscription", "/inscription/"));
        assert!(!path_matches("/inscription", "/inscriptions"));
        assert!(path_matches("/", "/"));
        assert!(!path_matches("/", "/nope"));
    }
}
