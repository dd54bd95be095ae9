//! The task and its fields as validated types. Pure and synchronous: nothing here
//! knows about HTTP or DynamoDB, so every rule of the contract is unit-tested here.

use std::fmt;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use uuid::Uuid;

/// Why a field value was refused, in words a client can act on.
pub type Rejection = &'static str;

/// The server-assigned id of a task: a UUID, always rendered lowercase and hyphenated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TaskId(Uuid);

impl TaskId {
    pub fn new_random() -> Self {
        Self(Uuid::new_v4())
    }

    /// Accepts any UUID spelling (upper or lower case), so a client that
    /// upper-cases an id still finds its task; the canonical form is lowercase.
    pub fn parse(raw: &str) -> Result<Self, Rejection> {
        Uuid::try_parse(raw)
            .map(Self)
            .map_err(|_| "must be a UUID such as 2f1c3a52-8d0e-4f7a-9b1e-0c2d3e4f5a6b")
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// A user as the authorizer names them (the Cognito `sub`): a task's owner, its assignee,
/// or the caller. 1 to 128 characters, none of them white space (Unicode `White_Space`) or
/// control characters; never trimmed. The API never looks users up: any well-formed id is
/// accepted, so no answer tells whether a user exists.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UserId(String);

impl UserId {
    pub const MAX_CHARS: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, Rejection> {
        let chars = raw.chars().count();
        let refused = |c: char| c.is_whitespace() || c.is_control();
        if chars == 0 || chars > Self::MAX_CHARS || raw.chars().any(refused) {
            return Err(
                "must be a user id: 1 to 128 characters, without white space or control characters",
            );
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A title: trimmed, 1 to 200 characters, and nothing that can hide or reorder text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, Rejection> {
        let trimmed = raw.trim();
        let chars = trimmed.chars().count();
        if chars == 0 || chars > Self::MAX_CHARS {
            return Err("must be 1 to 200 characters");
        }
        if trimmed.chars().any(Self::is_refused) {
            return Err(
                "must not contain control, format (such as U+202E or U+200B), line or paragraph separator characters",
            );
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// A title read back from storage. Titles stored before format and separator characters
    /// were refused (they never held control characters) stay readable: tightening the
    /// rule for new input must not turn an owner's existing tasks into errors.
    pub fn parse_stored(raw: &str) -> Result<Self, Rejection> {
        Self::parse(raw).or_else(|rejection| {
            let chars = raw.chars().count();
            let legacy = raw == raw.trim()
                && (1..=Self::MAX_CHARS).contains(&chars)
                && !raw.chars().any(char::is_control);
            if legacy {
                Ok(Self(raw.to_owned()))
            } else {
                Err(rejection)
            }
        })
    }

    /// Characters a title may not hold anywhere: controls (Cc), format characters (Cf:
    /// bidirectional overrides, zero-width characters, which can make a title read
    /// differently from what it is), and the line and paragraph separators (Zl, Zp).
    pub fn is_refused(c: char) -> bool {
        use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
        matches!(
            c.general_category(),
            GeneralCategory::Control
                | GeneralCategory::Format
                | GeneralCategory::LineSeparator
                | GeneralCategory::ParagraphSeparator
        )
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A free-text description of at most 2000 characters, without NUL; line breaks are allowed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    pub const MAX_CHARS: usize = 2000;

    pub fn parse(raw: &str) -> Result<Self, Rejection> {
        if raw.chars().count() > Self::MAX_CHARS {
            return Err("must be at most 2000 characters");
        }
        // NUL ends strings in C and in many log and export tools downstream.
        if raw.contains('\0') {
            return Err("must not contain NUL characters");
        }
        Ok(Self(raw.to_owned()))
    }

    /// A description read back from storage: one stored before NUL was refused stays readable.
    pub fn parse_stored(raw: &str) -> Result<Self, Rejection> {
        if raw.chars().count() > Self::MAX_CHARS {
            return Err("must be at most 2000 characters");
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

wire_enum!(
    /// Where a task is in its life.
    #[derive(Default)]
    Status, "must be one of pending, in_progress, completed", {
        #[default] Pending => "pending",
        InProgress => "in_progress",
        Completed => "completed",
    }
);

wire_enum!(
    /// How urgent a task is.
    #[derive(Default)]
    Priority, "must be one of low, medium, high", {
        Low => "low",
        #[default] Medium => "medium",
        High => "high",
    }
);

wire_enum!(
    /// Which tasks a listing shows: the caller's own, or those shared with them.
    #[derive(Default)]
    Scope, "must be one of owned, assigned", {
        #[default] Owned => "owned",
        Assigned => "assigned",
    }
);

/// A point in time as the API shows it: UTC, millisecond precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// Now, truncated to milliseconds so that what is stored is exactly what is shown.
    pub fn now() -> Self {
        Self::from_datetime(Utc::now())
    }

    fn from_datetime(at: DateTime<Utc>) -> Self {
        let millis = at.timestamp_millis();
        Self(Utc.timestamp_millis_opt(millis).single().unwrap_or(at))
    }

    /// RFC 3339 with an explicit offset (`Z` or `+02:00`); converted to UTC.
    /// A date without a time, or a time without an offset, is ambiguous and refused.
    pub fn parse(raw: &str) -> Result<Self, Rejection> {
        DateTime::parse_from_rfc3339(raw)
            .map(|at| Self::from_datetime(at.with_timezone(&Utc)))
            .map_err(|_| "must be an RFC 3339 date-time with an offset, e.g. 2025-10-01T17:00:00Z")
    }

    pub fn to_rfc3339(self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    pub fn epoch_seconds(self) -> i64 {
        self.0.timestamp()
    }

    pub fn as_datetime(self) -> DateTime<Utc> {
        self.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// A label: 1 to 32 characters of `a-z 0-9 - _`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Tag(String);

impl Tag {
    pub fn parse(raw: &str) -> Result<Self, Rejection> {
        let valid_chars = raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if raw.is_empty() || raw.len() > 32 || !valid_chars {
            return Err("must be 1 to 32 characters of a-z, 0-9, - and _");
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// At most ten distinct tags, in the order the client gave them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tags(Vec<Tag>);

impl Tags {
    pub const MAX: usize = 10;

    pub fn new(tags: Vec<Tag>) -> Result<Self, Rejection> {
        if tags.len() > Self::MAX {
            return Err("must hold at most 10 tags");
        }
        for (i, tag) in tags.iter().enumerate() {
            if tags[..i].contains(tag) {
                return Err("must not repeat a tag");
            }
        }
        Ok(Self(tags))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Tag> {
        self.0.iter()
    }
}

/// Optimistic-concurrency counter: 1 on create, +1 on every change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(u64);

impl Version {
    pub const FIRST: Version = Version(1);

    pub fn new(value: u64) -> Self {
        Self(value)
    }

    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// `Idempotency-Key`: 1 to 255 visible ASCII characters, chosen by the client.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, Rejection> {
        if raw.is_empty() || raw.len() > 255 || !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("must be 1 to 255 visible ASCII characters");
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A stored task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    pub id: TaskId,
    pub owner: UserId,
    /// The one other user the task is shared with.
    pub assignee: Option<UserId>,
    pub title: Title,
    pub description: Description,
    pub status: Status,
    pub priority: Priority,
    pub due_date: Option<Timestamp>,
    /// When to remind the owner and the assignee; independent of `due_date`.
    pub remind_at: Option<Timestamp>,
    pub tags: Tags,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub completed_at: Option<Timestamp>,
    pub version: Version,
}

impl Task {
    /// A task as first stored, at version 1: `title` and the defaults, with the other fields
    /// of the request applied as an update applies them, so that creating and updating
    /// compute a task the same way (`completedAt` set if it is born completed).
    pub fn create(
        id: TaskId,
        owner: UserId,
        title: Title,
        fields: &TaskChanges,
        now: Timestamp,
    ) -> Self {
        let blank = Self {
            id,
            owner,
            assignee: None,
            title,
            description: Description::default(),
            status: Status::default(),
            priority: Priority::default(),
            due_date: None,
            remind_at: None,
            tags: Tags::default(),
            created_at: now,
            updated_at: now,
            completed_at: None,
            version: Version(0),
        };
        blank.apply(fields, now)
    }

    /// The task after `changes` at `now`: the next version; `completedAt` set when the
    /// status becomes completed (the first completion time kept if it already was) and
    /// cleared when the status leaves it. The DynamoDB store computes the same in its
    /// UpdateItem; a test in `make test` checks that the two agree.
    pub fn apply(&self, changes: &TaskChanges, now: Timestamp) -> Task {
        fn or_kept<T: Clone>(change: &Option<T>, kept: &T) -> T {
            change.as_ref().unwrap_or(kept).clone()
        }
        Task {
            id: self.id,
            owner: self.owner.clone(),
            assignee: or_kept(&changes.assignee, &self.assignee),
            title: or_kept(&changes.title, &self.title),
            description: or_kept(&changes.description, &self.description),
            status: changes.status.unwrap_or(self.status),
            priority: changes.priority.unwrap_or(self.priority),
            due_date: changes.due_date.unwrap_or(self.due_date),
            remind_at: changes.remind_at.unwrap_or(self.remind_at),
            tags: or_kept(&changes.tags, &self.tags),
            created_at: self.created_at,
            updated_at: now,
            completed_at: match changes.status {
                None => self.completed_at,
                Some(Status::Completed) => self.completed_at.or(Some(now)),
                Some(_) => None,
            },
            version: Version(self.version.0 + 1),
        }
    }
}

/// A partial update: `None` leaves a field as it is. `due_date: Some(None)` clears it, and
/// so do `remind_at: Some(None)` and `assignee: Some(None)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskChanges {
    pub title: Option<Title>,
    pub description: Option<Description>,
    pub status: Option<Status>,
    pub priority: Option<Priority>,
    pub due_date: Option<Option<Timestamp>>,
    pub remind_at: Option<Option<Timestamp>>,
    pub tags: Option<Tags>,
    pub assignee: Option<Option<UserId>>,
}

impl TaskChanges {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Each field these changes set, by its wire name, with the action that setting it is.
    pub fn actions(&self) -> Vec<(&'static str, Action)> {
        let details = |set: bool| set.then_some(Action::ChangeDetails);
        let assignee = self.assignee.as_ref().map(|assignee| match assignee {
            Some(_) => Action::Assign,
            None => Action::Unassign,
        });
        [
            ("title", details(self.title.is_some())),
            ("description", details(self.description.is_some())),
            ("priority", details(self.priority.is_some())),
            ("dueDate", details(self.due_date.is_some())),
            ("remindAt", details(self.remind_at.is_some())),
            ("tags", details(self.tags.is_some())),
            ("status", self.status.map(|_| Action::ChangeStatus)),
            ("assignee", assignee),
        ]
        .into_iter()
        .filter_map(|(field, action)| Some((field, action?)))
        .collect()
    }

    /// Whether only the owner may make these changes: the condition a store's write states.
    pub fn need_owner(&self) -> bool {
        self.actions()
            .iter()
            .any(|(_, action)| !Role::Assignee.may(*action))
    }
}

/// Who a caller is to a task. Anyone else has no role: for them the task does not exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Owner,
    Assignee,
}

/// What a caller may ask to do to a task: the rows of the permission table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Read,
    ChangeStatus,
    /// Title, description, priority, due date, reminder or tags.
    ChangeDetails,
    /// Set the assignee to a user.
    Assign,
    /// Set the assignee to `null`: the owner clears it, the assignee declines the task.
    Unassign,
    Delete,
}

impl Role {
    /// The permission table, in one place: the owner may do everything; the assignee may
    /// read the task, change its status and decline it.
    pub fn may(self, action: Action) -> bool {
        match self {
            Role::Owner => true,
            Role::Assignee => matches!(
                action,
                Action::Read | Action::ChangeStatus | Action::Unassign
            ),
        }
    }
}

/// Why a write is refused, in the order the contract ranks them: a task the caller cannot
/// see (404), then a change their role does not allow (403), then a stale `If-Match` (412).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    NotFound,
    /// The fields (for an update) the caller may not change; empty for a delete.
    Forbidden(Vec<&'static str>),
    Stale {
        current: Version,
    },
}

/// A write a caller asks for.
#[derive(Clone, Copy, Debug)]
pub enum Write<'a> {
    Update(&'a TaskChanges),
    Delete,
}

impl Task {
    /// The caller's role, if the task is theirs or shared with them.
    pub fn role_of(&self, caller: &UserId) -> Option<Role> {
        if self.owner == *caller {
            Some(Role::Owner)
        } else if self.assignee.as_ref() == Some(caller) {
            Some(Role::Assignee)
        } else {
            None
        }
    }

    /// Whether `caller` sees the task (may read it).
    pub fn is_visible_to(&self, caller: &UserId) -> bool {
        self.role_of(caller).is_some()
    }
}

/// Whether `caller` may make `write` to `task` (`None`: no such task) at `expected`.
pub fn authorize(
    task: Option<&Task>,
    caller: &UserId,
    write: Write<'_>,
    expected: Option<Version>,
) -> Result<Role, Refusal> {
    let task = task.ok_or(Refusal::NotFound)?;
    let role = task.role_of(caller).ok_or(Refusal::NotFound)?;
    let forbidden: Vec<&'static str> = match write {
        Write::Update(changes) => changes
            .actions()
            .into_iter()
            .filter(|(_, action)| !role.may(*action))
            .map(|(field, _)| field)
            .collect(),
        Write::Delete if role.may(Action::Delete) => Vec::new(),
        Write::Delete => return Err(Refusal::Forbidden(Vec::new())),
    };
    if !forbidden.is_empty() {
        return Err(Refusal::Forbidden(forbidden));
    }
    match expected {
        Some(version) if version != task.version => Err(Refusal::Stale {
            current: task.version,
        }),
        _ => Ok(role),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_is_trimmed_and_counted_in_unicode_scalar_values() {
        assert_eq!(Title::parse("  Buy milk \n").unwrap().as_str(), "Buy milk");
        assert!(Title::parse(&"é".repeat(200)).is_ok());
        assert!(Title::parse(&"é".repeat(201)).is_err());
    }

    #[test]
    fn title_that_is_blank_or_holds_control_characters_is_refused() {
        assert_eq!(
            Title::parse("   ").unwrap_err(),
            "must be 1 to 200 characters"
        );
        assert_eq!(Title::parse("").unwrap_err(), "must be 1 to 200 characters");
        assert!(Title::parse("a\u{7}b").is_err());
        assert!(Title::parse("line\nbreak").is_err());
    }

    #[test]
    fn title_with_invisible_or_reordering_characters_is_refused() {
        for refused in [
            '\u{202E}',  // right-to-left override
            '\u{2066}',  // left-to-right isolate
            '\u{200B}',  // zero-width space
            '\u{200D}',  // zero-width joiner
            '\u{FEFF}',  // byte order mark
            '\u{E0041}', // tag character (outside the BMP)
            '\u{2028}',  // line separator
            '\u{2029}',  // paragraph separator
        ] {
            let title = format!("pay{refused}invoice");
            assert!(Title::parse(&title).is_err(), "{refused:?} was accepted");
        }
        // Ordinary letters, marks and symbols of any script still pass.
        assert!(Title::parse("Café 東京 مرحبا ✓ e\u{301}").is_ok());
    }

    #[test]
    fn description_allows_2000_characters_and_line_breaks() {
        assert!(Description::parse(&"x".repeat(2000)).is_ok());
        assert!(Description::parse(&"x".repeat(2001)).is_err());
        assert!(Description::parse("first line\nsecond line").is_ok());
    }

    #[test]
    fn text_stored_under_earlier_rules_still_reads_back() {
        let zero_width = "pay\u{200B}invoice";
        assert!(Title::parse(zero_width).is_err());
        assert_eq!(
            Title::parse_stored(zero_width).unwrap().as_str(),
            zero_width
        );
        assert!(Title::parse_stored("a\u{7}b").is_err(), "never valid");
        assert!(Description::parse_stored("a\0b").is_ok());
    }

    #[test]
    fn description_with_nul_is_refused() {
        assert_eq!(
            Description::parse("before\0after").unwrap_err(),
            "must not contain NUL characters"
        );
    }

    #[test]
    fn status_and_priority_accept_only_their_wire_names() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.as_str()), Ok(*status));
        }
        for priority in Priority::ALL {
            assert_eq!(Priority::parse(priority.as_str()), Ok(*priority));
        }
        assert!(Status::parse("Completed").is_err());
        assert!(Status::parse("done").is_err());
        assert!(Priority::parse("urgent").is_err());
        assert_eq!(Status::default(), Status::Pending);
        assert_eq!(Priority::default(), Priority::Medium);
    }

    #[test]
    fn due_date_with_an_offset_is_normalised_to_utc_milliseconds() {
        let due = Timestamp::parse("2025-10-01T19:30:00.123456+02:00").unwrap();
        assert_eq!(due.to_rfc3339(), "2025-10-01T17:30:00.123Z");
    }

    #[test]
    fn due_date_without_an_offset_or_time_is_refused() {
        assert!(Timestamp::parse("2025-10-01T17:30:00").is_err());
        assert!(Timestamp::parse("2025-10-01").is_err());
        assert!(Timestamp::parse("tomorrow").is_err());
    }

    #[test]
    fn now_has_millisecond_precision() {
        let now = Timestamp::now().to_rfc3339();
        assert_eq!(now.len(), "2025-09-29T10:00:00.000Z".len(), "{now}");
        assert!(now.ends_with('Z'));
    }

    #[test]
    fn tags_must_be_short_lowercase_and_distinct() {
        assert!(Tag::parse("work-2_a").is_ok());
        assert!(Tag::parse("Work").is_err());
        assert!(Tag::parse("with space").is_err());
        assert!(Tag::parse("").is_err());
        assert!(Tag::parse(&"a".repeat(33)).is_err());
        let tag = |s: &str| Tag::parse(s).unwrap();
        assert_eq!(
            Tags::new(vec![tag("a"), tag("a")]).unwrap_err(),
            "must not repeat a tag"
        );
        let eleven = (0..11).map(|i| tag(&format!("t{i}"))).collect();
        assert!(Tags::new(eleven).is_err());
    }

    #[test]
    fn task_id_is_canonical_lowercase() {
        let id = TaskId::parse("2F1C3A52-8D0E-4F7A-9B1E-0C2D3E4F5A6B").unwrap();
        assert_eq!(id.to_string(), "2f1c3a52-8d0e-4f7a-9b1e-0c2d3e4f5a6b");
        assert!(TaskId::parse("not-a-uuid").is_err());
        assert!(TaskId::parse("").is_err());
    }

    #[test]
    fn new_task_starts_at_version_one_with_defaults_and_completed_only_when_born_completed() {
        let now = Timestamp::parse("2025-09-29T10:00:00Z").unwrap();
        let owner = UserId::parse("user-1").unwrap();
        let title = Title::parse("Write report").unwrap();
        let pending = Task::create(
            TaskId::new_random(),
            owner.clone(),
            title.clone(),
            &TaskChanges::default(),
            now,
        );
        assert_eq!(pending.version, Version::FIRST);
        assert_eq!(
            (pending.status, pending.priority),
            (Status::Pending, Priority::Medium)
        );
        assert_eq!((pending.description.as_str(), pending.due_date), ("", None));
        assert_eq!(
            (pending.assignee.as_ref(), pending.tags.iter().count()),
            (None, 0)
        );
        assert_eq!(pending.completed_at, None);
        assert_eq!((pending.created_at, pending.updated_at), (now, now));

        let completed = TaskChanges {
            status: Some(Status::Completed),
            ..Default::default()
        };
        let done = Task::create(TaskId::new_random(), owner, title, &completed, now);
        assert_eq!(
            (done.status, done.completed_at),
            (Status::Completed, Some(now))
        );
    }

    #[test]
    fn idempotency_key_is_visible_ascii_up_to_255() {
        assert!(IdempotencyKey::parse("order-42_retry:1").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(256)).is_err());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse("with space").is_err());
        assert!(IdempotencyKey::parse("clé").is_err());
    }

    #[test]
    fn applying_changes_moves_the_version_and_keeps_the_first_completion() {
        let created = Timestamp::parse("2025-09-29T10:00:00Z").unwrap();
        let later = Timestamp::parse("2025-09-29T11:00:00Z").unwrap();
        let latest = Timestamp::parse("2025-09-29T12:00:00Z").unwrap();
        let owner = UserId::parse("user-1").unwrap();
        let title = Title::parse("Report").unwrap();
        let task = Task::create(
            TaskId::new_random(),
            owner,
            title,
            &Default::default(),
            created,
        );
        let complete = TaskChanges {
            status: Some(Status::Completed),
            ..Default::default()
        };
        let done = task.apply(&complete, later);
        assert_eq!((done.version.get(), done.completed_at), (2, Some(later)));
        assert_eq!(done.updated_at, later);
        let again = done.apply(&complete, latest);
        assert_eq!(again.completed_at, Some(later), "first completion kept");
        let reopen = TaskChanges {
            status: Some(Status::Pending),
            due_date: Some(Some(latest)),
            ..Default::default()
        };
        let reopened = again.apply(&reopen, latest);
        assert_eq!(reopened.completed_at, None);
        assert_eq!(reopened.due_date, Some(latest));
        assert_eq!(reopened.title, task.title, "untouched fields stay");
        assert_eq!(reopened.version.get(), 4);
    }

    fn user(id: &str) -> UserId {
        UserId::parse(id).unwrap()
    }

    fn shared_task() -> Task {
        let title = Title::parse("Shared").unwrap();
        let assigned = TaskChanges {
            assignee: Some(Some(user("bob"))),
            ..Default::default()
        };
        Task::create(
            TaskId::new_random(),
            user("alice"),
            title,
            &assigned,
            Timestamp::now(),
        )
    }

    #[test]
    fn user_id_is_1_to_128_characters_without_white_space_or_controls() {
        assert!(UserId::parse("2f1c3a52-8d0e-4f7a-9b1e-0c2d3e4f5a6b").is_ok());
        assert!(
            UserId::parse(&"é".repeat(128)).is_ok(),
            "counted in characters"
        );
        assert!(UserId::parse(&"é".repeat(129)).is_err());
        for bad in [
            "",
            "bob smith",
            " bob",
            "bob\t",
            "bob\u{a0}",
            "bob\u{2003}",
            "bob\u{7}",
        ] {
            assert!(UserId::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            UserId::parse("Bob").unwrap().as_str(),
            "Bob",
            "never folded"
        );
    }

    #[test]
    fn the_permission_table() {
        use Action::*;
        // (action, owner, assignee): anyone else has no role, so may do nothing.
        let table = [
            (Read, true, true),
            (ChangeStatus, true, true),
            (ChangeDetails, true, false),
            (Assign, true, false),
            (Unassign, true, true),
            (Delete, true, false),
        ];
        for (action, owner, assignee) in table {
            assert_eq!(Role::Owner.may(action), owner, "owner {action:?}");
            assert_eq!(Role::Assignee.may(action), assignee, "assignee {action:?}");
        }
        let task = shared_task();
        assert_eq!(task.role_of(&user("alice")), Some(Role::Owner));
        assert_eq!(task.role_of(&user("bob")), Some(Role::Assignee));
        assert_eq!(task.role_of(&user("carol")), None);
        assert!(!task.is_visible_to(&user("carol")));
    }

    #[test]
    fn authorize_ranks_not_found_then_forbidden_then_stale() {
        let task = shared_task();
        let stale = Some(Version::new(7));
        let details = TaskChanges {
            title: Some(Title::parse("New").unwrap()),
            tags: Some(Tags::default()),
            status: Some(Status::Completed),
            ..Default::default()
        };
        let status = TaskChanges {
            status: Some(Status::Completed),
            ..Default::default()
        };
        let decline = TaskChanges {
            assignee: Some(None),
            ..Default::default()
        };
        let reassign = TaskChanges {
            assignee: Some(Some(user("carol"))),
            ..Default::default()
        };
        let (alice, bob, carol) = (user("alice"), user("bob"), user("carol"));
        let update = Write::Update;
        assert_eq!(
            authorize(None, &alice, update(&status), None),
            Err(Refusal::NotFound)
        );
        assert_eq!(
            authorize(Some(&task), &carol, update(&status), stale),
            Err(Refusal::NotFound)
        );
        assert_eq!(
            authorize(Some(&task), &bob, update(&details), stale),
            Err(Refusal::Forbidden(vec!["title", "tags"])),
            "403 before 412; status is not named"
        );
        assert_eq!(
            authorize(Some(&task), &bob, update(&reassign), None),
            Err(Refusal::Forbidden(vec!["assignee"]))
        );
        assert_eq!(
            authorize(Some(&task), &bob, Write::Delete, None),
            Err(Refusal::Forbidden(vec![]))
        );
        assert_eq!(
            authorize(Some(&task), &bob, update(&status), stale),
            Err(Refusal::Stale {
                current: Version::FIRST
            })
        );
        assert_eq!(
            authorize(Some(&task), &bob, update(&status), Some(Version::FIRST)),
            Ok(Role::Assignee)
        );
        assert_eq!(
            authorize(Some(&task), &bob, update(&decline), None),
            Ok(Role::Assignee)
        );
        for write in [
            update(&details),
            update(&reassign),
            update(&decline),
            Write::Delete,
        ] {
            assert_eq!(authorize(Some(&task), &alice, write, None), Ok(Role::Owner));
        }
        assert!(details.need_owner() && reassign.need_owner());
        assert!(!status.need_owner() && !decline.need_owner());
    }

    #[test]
    fn applying_an_assignee_sets_or_clears_it() {
        let task = shared_task();
        let cleared = task.apply(
            &TaskChanges {
                assignee: Some(None),
                ..Default::default()
            },
            Timestamp::now(),
        );
        assert_eq!(cleared.assignee, None);
        let carol = TaskChanges {
            assignee: Some(Some(user("carol"))),
            ..Default::default()
        };
        assert_eq!(
            cleared.apply(&carol, Timestamp::now()).assignee,
            Some(user("carol"))
        );
    }
}
