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
}

impl Function {
    pub const ALL: [Function; 5] = [
        Function::Signup,
        Function::Activation,
        Function::Auth,
        Function::Inscription,
        Function::Documents,
    ];

    /// The logical id of the function in `template.yaml`.
    pub fn logical_id(self) -> &'static str {
        match self {
            Function::Signup => "SignupFunction",
            Function::Activation => "ActivationFunction",
            Function::Auth => "AuthFunction",
            Function::Inscription => "InscriptionFunction",
            Function::Documents => "DocumentsFunction",
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

impl Route {
    /// Whether the route serves the candidates' portal (an HTML page or its
    /// assets) rather than the JSON API: such routes are not in the OpenAPI
    /// document.
    pub fn is_portal(&self) -> bool {
        super::portal::is_portal_path(self.path)
    }
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
    // Inscription.
    route("GET", "/inscription", Function::Inscription),
    route("PUT", "/inscription", Function::Inscription),
    route("GET", "/inscription/pieces", Function::Inscription),
    // Documents.
    route("GET", "/inscription/confirmation.pdf", Function::Documents),
    route(
        "POST",
        "/inscription/pieces/{kind}/uploads",
        Function::Documents,
    ),
    // The candidates' portal (http/portal.rs), served by the auth function.
    route("GET", "/", Function::Auth),
    route("GET", "/signup", Function::Auth),
    route("GET", "/activate", Function::Auth),
    route("GET", "/login", Function::Auth),
    route("GET", "/forgot-password", Function::Auth),
    route("GET", "/reset-password", Function::Auth),
    route("GET", "/m-inscrire", Function::Auth),
    route("GET", "/mes-documents", Function::Auth),
    route("GET", "/assets/{file}", Function::Auth),
];
