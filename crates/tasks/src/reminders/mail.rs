//! Reminders by email: each recipient's address from the user pool, the message, and SES.
//! Unit tests use a fake [`Mailer`]; the integration tests use [`SesMailer`] against moto's
//! user pool and SES, whose sent messages they read back.

use std::future::Future;

use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};

use crate::config::MailConfig;
use crate::domain::{Status, Task, UserId};

/// A lookup or a send that failed after the client's retries: the firing fails, and is
/// retried (what was sent already is not sent again). It names the operation and the
/// service's error code only: a service's message may quote an address (SES names the
/// identities it refused), and this error is logged and kept in the failure queue.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct MailError(pub String);

impl MailError {
    fn of<E: ProvideErrorMetadata, R>(operation: &str, error: &SdkError<E, R>) -> Self {
        let cause = crate::events::client::failure_cause(error);
        MailError(format!("{operation} failed: {cause}"))
    }
}

/// One message to one recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    pub subject: String,
    pub text: String,
}

pub trait Mailer: Send + Sync {
    /// The verified email address of the user whose id (Cognito `sub`) this is; `None` for
    /// no such user, a disabled one, or one without a verified address.
    fn address_of(
        &self,
        user: &UserId,
    ) -> impl Future<Output = Result<Option<String>, MailError>> + Send;

    /// Sends `email` to `to` alone.
    fn send(&self, to: &str, email: &Email) -> impl Future<Output = Result<(), MailError>> + Send;

    /// The web app's address, for the link in the email.
    fn web_app_url(&self) -> &str;
}

/// The reminder of `task` to `recipient` (its owner or its assignee): the title, the due date
/// in words, the status, and a link to the web app. Nothing of any other user: not their
/// id, not their address.
pub fn reminder_email(task: &Task, recipient: &UserId, web_app_url: &str) -> Email {
    let title = task.title.as_str();
    let due = match task.due_date {
        Some(due) => format!(
            "Due {}.",
            due.as_datetime().format("%A %-d %B %Y at %H:%M UTC")
        ),
        None => "No due date.".to_owned(),
    };
    let status = match task.status {
        Status::Pending => "Not started yet.",
        Status::InProgress => "In progress.",
        Status::Completed => "Completed.",
    };
    let why = if *recipient == task.owner {
        "You set this reminder on your task."
    } else {
        "This task is shared with you; its owner set this reminder."
    };
    Email {
        subject: format!("Reminder: {title}"),
        text: format!(
            "Reminder: {title}\n\n{due}\n{status}\n\nOpen your tasks: {web_app_url}/\n\n{why}\n"
        ),
    }
}

/// Addresses from the stack's user pool, messages through SES v2 from the stack's sender.
#[derive(Clone, Debug)]
pub struct SesMailer {
    ses: aws_sdk_sesv2::Client,
    cognito: aws_sdk_cognitoidentityprovider::Client,
    config: MailConfig,
}

impl SesMailer {
    pub fn new(
        ses: aws_sdk_sesv2::Client,
        cognito: aws_sdk_cognitoidentityprovider::Client,
        config: MailConfig,
    ) -> Self {
        Self {
            ses,
            cognito,
            config,
        }
    }

    /// The clients of `config`'s endpoints, with the budget of the other clients.
    pub async fn connect(config: MailConfig) -> Self {
        let sdk_config = crate::events::client::sdk_config().await;
        let ses = budgeted_client!(aws_sdk_sesv2, &sdk_config, &config.ses_endpoint);
        let cognito = budgeted_client!(
            aws_sdk_cognitoidentityprovider,
            &sdk_config,
            &config.cognito_endpoint
        );
        Self::new(ses, cognito, config)
    }
}

/// Whether `user` can be a Cognito `sub` (a UUID: hex digits and hyphens): only such an id is
/// looked up, and it can go into ListUsers' filter without any quoting. An assignee id is any
/// well-formed user id (the API never looks users up); one that is no `sub` has no address.
fn is_cognito_sub(user: &UserId) -> bool {
    let id = user.as_str();
    id.len() == 36 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

impl Mailer for SesMailer {
    async fn address_of(&self, user: &UserId) -> Result<Option<String>, MailError> {
        if !is_cognito_sub(user) {
            return Ok(None);
        }
        let found = self
            .cognito
            .list_users()
            .user_pool_id(&self.config.user_pool_id)
            .filter(format!("sub = \"{}\"", user.as_str()))
            .attributes_to_get("email")
            .attributes_to_get("email_verified")
            .limit(1)
            .send()
            .await
            .map_err(|error| MailError::of("ListUsers", &error))?;
        let Some(account) = found.users().first() else {
            return Ok(None);
        };
        if !account.enabled() {
            return Ok(None);
        }
        let attribute = |name: &str| {
            account
                .attributes()
                .iter()
                .find(|a| a.name() == name)
                .and_then(|a| a.value())
        };
        Ok(match (attribute("email"), attribute("email_verified")) {
            (Some(address), Some("true")) => Some(address.to_owned()),
            _ => None,
        })
    }

    async fn send(&self, to: &str, email: &Email) -> Result<(), MailError> {
        let text = |data: &str| {
            Content::builder()
                .data(data)
                .charset("UTF-8")
                .build()
                .map_err(|error| MailError(error.to_string()))
        };
        let message = Message::builder()
            .subject(text(&email.subject)?)
            .body(Body::builder().text(text(&email.text)?).build())
            .build();
        self.ses
            .send_email()
            .from_email_address(&self.config.sender)
            .destination(Destination::builder().to_addresses(to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(|error| MailError::of("SendEmail", &error))?;
        Ok(())
    }

    fn web_app_url(&self) -> &str {
        &self.config.web_app_url
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{TaskChanges, TaskId, Timestamp, Title};

    fn task() -> Task {
        let fields = TaskChanges {
            due_date: Some(Some(Timestamp::parse("2026-12-08T09:30:00Z").unwrap())),
            assignee: Some(Some(UserId::parse("the-assignee").unwrap())),
            ..Default::default()
        };
        Task::create(
            TaskId::new_random(),
            UserId::parse("the-owner").unwrap(),
            Title::parse("Renew the passport").unwrap(),
            &fields,
            Timestamp::now(),
        )
    }

    #[test]
    fn the_email_tells_the_title_and_the_due_date_in_words_and_links_the_app() {
        let task = task();
        let email = reminder_email(&task, &task.owner, "https://tasks.example.com");
        assert_eq!(email.subject, "Reminder: Renew the passport");
        assert!(
            email
                .text
                .contains("Due Tuesday 8 December 2026 at 09:30 UTC."),
            "{}",
            email.text
        );
        assert!(email.text.contains("https://tasks.example.com/"));
        assert!(email.text.contains("your task"));
        let to_assignee = reminder_email(&task, task.assignee.as_ref().unwrap(), "https://x");
        assert!(to_assignee.text.contains("shared with you"));
        for email in [&email, &to_assignee] {
            assert!(!email.text.contains("the-owner") && !email.text.contains("the-assignee"));
        }
        let mut undated = task.clone();
        undated.due_date = None;
        assert!(
            reminder_email(&undated, &task.owner, "https://x")
                .text
                .contains("No due date.")
        );
    }

    #[test]
    fn only_an_id_that_can_be_a_cognito_sub_is_looked_up() {
        let sub = UserId::parse("3f1c9a7e-52d4-4b8e-9a61-0c2d7e5b8f14").unwrap();
        assert!(is_cognito_sub(&sub));
        for other in [
            "local-developer",
            "x\"or\"",
            "3f1c9a7e-52d4-4b8e-9a61-0c2d7e5b8f1z",
        ] {
            assert!(!is_cognito_sub(&UserId::parse(other).unwrap()), "{other}");
        }
    }
}
