//! The API's one routing table: for each path and method, the function that API Gateway
//! sends it to and the operation it is, if any.
//!
//! The handlers resolve requests with it, the local REST gateway and the tests route with it,
//! and a test checks `cargo lambda watch`'s router in `Cargo.toml` against it
//! (`tests/api/routes.rs`); `tools/check_template.py` checks template.yaml against that router.

use lambda_http::http::Method;
use lambda_http::{Request, RequestExt};

wire_enum!(
    /// One Lambda function of the API, by the name of its binary (and cargo package).
    Function, "is not a function of the API", {
        CreateTask => "create-task",
        GetTasks => "get-tasks",
        UpdateTask => "update-task",
        DeleteTask => "delete-task",
        DeleteAccount => "delete-account",
    }
);

wire_enum!(
    /// An operation of the contract, by its OpenAPI `operationId`, which is also the
    /// `operation` of log lines and metrics.
    Operation, "is not an operation of the API", {
        CreateTask => "createTask",
        ListTasks => "listTasks",
        GetTask => "getTask",
        UpdateTask => "updateTask",
        PatchTask => "patchTask",
        DeleteTask => "deleteTask",
        DeleteAccount => "deleteAccount",
    }
);

/// The three resources of the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resource {
    /// `/tasks`
    Collection,
    /// `/tasks/{taskId}`
    Item,
    /// `/account`: the caller's own account.
    Account,
}

impl Resource {
    pub const ALL: [Resource; 3] = [Self::Collection, Self::Item, Self::Account];

    /// The path as API Gateway and the Cargo router write it.
    pub fn path(self) -> &'static str {
        match self {
            Self::Collection => "/tasks",
            Self::Item => "/tasks/{taskId}",
            Self::Account => "/account",
        }
    }

    /// The resource of a request: with a `{taskId}` path parameter, one task; at a path
    /// ending in `/account` (after the stage, if any), the account; else the collection.
    pub fn of(request: &Request) -> Self {
        let item = request
            .path_parameters_ref()
            .and_then(|params| params.first("taskId"))
            .is_some();
        let account = request
            .uri()
            .path()
            .trim_end_matches('/')
            .ends_with("/account");
        if item {
            Self::Item
        } else if account {
            Self::Account
        } else {
            Self::Collection
        }
    }

    /// The `Allow` header for this resource: the methods that have an operation.
    pub fn allow(self) -> String {
        ROUTES
            .iter()
            .filter(|route| route.resource == self && route.operation.is_some())
            .map(|route| route.method.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(Clone, Debug)]
pub struct Route {
    pub resource: Resource,
    pub method: Method,
    pub function: Function,
    /// `None`: no operation; the function answers 405 with `Allow`. API Gateway would
    /// otherwise answer an unrouted method with its own 403. (OPTIONS is the CORS preflight,
    /// which API Gateway answers itself.)
    pub operation: Option<Operation>,
}

const fn route(
    resource: Resource,
    method: Method,
    function: Function,
    operation: Option<Operation>,
) -> Route {
    Route {
        resource,
        method,
        function,
        operation,
    }
}

use Function as F;
use Operation as O;
use Resource::{Account, Collection, Item};

pub const ROUTES: &[Route] = &[
    route(Collection, Method::GET, F::GetTasks, Some(O::ListTasks)),
    route(Collection, Method::POST, F::CreateTask, Some(O::CreateTask)),
    route(Collection, Method::PUT, F::CreateTask, None),
    route(Collection, Method::PATCH, F::CreateTask, None),
    route(Collection, Method::DELETE, F::CreateTask, None),
    route(Collection, Method::HEAD, F::CreateTask, None),
    route(Item, Method::GET, F::GetTasks, Some(O::GetTask)),
    route(Item, Method::PUT, F::UpdateTask, Some(O::UpdateTask)),
    route(Item, Method::PATCH, F::UpdateTask, Some(O::PatchTask)),
    route(Item, Method::DELETE, F::DeleteTask, Some(O::DeleteTask)),
    route(Item, Method::POST, F::DeleteTask, None),
    route(Item, Method::HEAD, F::DeleteTask, None),
    route(
        Account,
        Method::DELETE,
        F::DeleteAccount,
        Some(O::DeleteAccount),
    ),
    route(Account, Method::GET, F::DeleteAccount, None),
    route(Account, Method::POST, F::DeleteAccount, None),
    route(Account, Method::PUT, F::DeleteAccount, None),
    route(Account, Method::PATCH, F::DeleteAccount, None),
    route(Account, Method::HEAD, F::DeleteAccount, None),
];

/// The route of a method on a resource, if the API has one.
pub fn find(resource: Resource, method: &Method) -> Option<&'static Route> {
    ROUTES
        .iter()
        .find(|route| route.resource == resource && route.method == method)
}

/// The operation `function` performs for this request, or `None` where the request is one
/// the function must refuse with 405 (a method without an operation on this resource, or
/// one that API Gateway routes to another function).
pub fn operation(function: Function, request: &Request) -> Option<Operation> {
    find(Resource::of(request), request.method())
        .filter(|route| route.function == function)
        .and_then(|route| route.operation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn each_resource_and_method_has_one_route() {
        let unique: HashSet<_> = ROUTES.iter().map(|r| (r.resource, &r.method)).collect();
        assert_eq!(unique.len(), ROUTES.len());
    }

    #[test]
    fn every_operation_is_served_by_exactly_one_route() {
        let operations: Vec<_> = ROUTES.iter().filter_map(|r| r.operation).collect();
        let unique: HashSet<_> = operations.iter().collect();
        assert_eq!(operations.len(), 7);
        assert_eq!(unique.len(), 7);
    }

    #[test]
    fn allow_lists_the_methods_with_an_operation() {
        assert_eq!(Collection.allow(), "GET, POST");
        assert_eq!(Item.allow(), "GET, PUT, PATCH, DELETE");
        assert_eq!(Account.allow(), "DELETE");
    }
}
