//! The auth Lambda function: the shared router's auth routes behind API Gateway.

use examreg_common::bootstrap::run_http_function;
use examreg_common::http::routes::Function;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    run_http_function(Function::Auth).await
}
