// Generated from docs/openapi.yaml by web/scripts/generate.mjs (npm --prefix web run generate).
// Do not edit: make test fails when this file is stale.
export interface paths {
    "/tasks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the caller's tasks, or the tasks assigned to the caller, newest first
         * @description With no `scope` or `scope=owned`, the caller's own tasks (shared or not); with
         *     `scope=assigned`, the tasks that other users assigned to the caller. Either way newest first (`createdAt` descending, ties by `taskId`
         *     descending), read from a DynamoDB index: a task created a moment ago can take up to
         *     about a second to appear here. Unknown query parameters, repeated parameters and bad
         *     values give 400 (`validation-error`, naming each bad parameter). A `nextToken` is bound
         *     to the caller and to the `scope` and `status` filter that produced it: pass it back with
         *     the same `scope` and `status`; a token that was altered, forged, or comes from another
         *     caller, scope or filter gives 400.
         *
         *     A page may hold fewer than `limit` tasks, even none, and still carry a `nextToken`:
         *     `scope=assigned` with a `status` filters as it reads, and one request reads at most
         *     100 tasks, so that its cost stays that of one full page. Follow `nextToken` until it
         *     is absent to see every task.
         */
        get: operations["listTasks"];
        put?: never;
        /**
         * Create a task
         * @description Creates a task owned by the caller, at `version` 1. Absent fields take their defaults
         *     (`description` `""`, `status` `pending`, `priority` `medium`, `dueDate` `null`, `tags`
         *     `[]`, `assignee` `null`). An `assignee` shares the task with that user at once; it may
         *     not be the caller's own id (400). A task created as `completed` gets `completedAt` at once. The title is trimmed
         *     of surrounding white space, so a blank title is refused.
         *
         *     With an `Idempotency-Key` the request is safe to retry: the same caller, key and body
         *     (compared by the task they ask for, so key order, white space and `+02:00` for `Z` do
         *     not matter) give back the task that the first request created: 201, the same `taskId`,
         *     and `Idempotent-Replayed: true`. A replay answers as the first request did, with the
         *     task (and its `ETag` and `Location`) as it was created, even if the task has been
         *     changed or deleted since; it never writes the task again. The same key with a different
         *     body gives 422 and creates nothing. Keys are per caller, and remembered for 24 hours
         *     from their first request; after that the key is free again and creates a new task.
         *
         *     One user may own at most the stack's `MaxTasksPerOwner` tasks (10,000 unless the
         *     deployer says otherwise); a create past it gives 409 `task-limit-reached` and creates
         *     nothing (a replay of an earlier keyed create is still answered).
         */
        post: operations["createTask"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/tasks/{taskId}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The task's id, a UUID. Matched case-insensitively (ids are always returned lowercase);
                 *     the other spellings of a UUID (32 hex digits without hyphens, `{...}`, `urn:uuid:...`)
                 *     are accepted too. Anything that is not a UUID gives 400 (`validation-error`, field
                 *     `taskId`).
                 * @example 05cd1cdc-8d61-4396-9b52-47166a6e3e0e
                 */
                taskId: components["parameters"]["TaskId"];
            };
            cookie?: never;
        };
        /**
         * Read one task
         * @description A strongly consistent read, for the task's owner and its assignee. 404 if the caller neither owns nor is assigned a task with this id.
         */
        get: operations["getTask"];
        /**
         * Change some fields of a task (partial update)
         * @description A partial update, exactly like `PATCH`: fields that are absent stay as they are. Every
         *     successful update bumps `version` and `updatedAt`, even if the values are unchanged.
         *     Setting `status` to `completed` sets `completedAt` (kept if the task was already
         *     completed); any other status clears it. `dueDate: null` clears the due date, `remindAt: null` the reminder.
         *
         *     With `If-Match: "<version>"` the update applies only to that version, else 412 with the
         *     current version in `ETag`; `If-Match: *` matches any existing task. Without `If-Match`
         *     the update still applies atomically to the latest version. A missing task is 404, even
         *     with `If-Match`.
         *
         *     The owner may change every field, and set `assignee` to another user or `null`. The
         *     assignee may change `status`, and may set `assignee` to `null` (decline the task, which
         *     they then no longer see); a body with any other field gets 403, whose `errors` name each
         *     field they may not change, and nothing is applied. `assignee` may not be the caller's own
         *     id (400). Anyone else gets 404.
         */
        put: operations["updateTask"];
        post?: never;
        /**
         * Delete a task
         * @description Deletes the task. With `If-Match: "<version>"` only that version is deleted, else 412
         *     with the current `ETag`; `If-Match: *` matches any existing task. Only the owner may
         *     delete a task: its assignee gets 403 (they can decline it instead, with `PATCH`). 404 if
         *     the caller neither owns nor is assigned such a task (also for a second delete). A request
         *     body, if any, is ignored.
         */
        delete: operations["deleteTask"];
        options?: never;
        head?: never;
        /**
         * Change some fields of a task (partial update)
         * @description The same as `PUT` (both are partial updates): fields that are absent stay as they are.
         *     Every successful update bumps `version` and `updatedAt`. `If-Match` as for `PUT`.
         *     The body is plain JSON, not JSON Merge Patch: `null` is accepted only for `dueDate`,
         *     `remindAt` and `assignee`. Who may change what is as for `PUT`.
         */
        patch: operations["patchTask"];
        trace?: never;
    };
    "/account": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Delete the caller's account and all their data
         * @description Starts the deletion of the caller's account and answers at once; again (a retry) it
         *     answers the same, and starts nothing more. Then, without further requests: the
         *     caller's sign-in is revoked everywhere and their user is deleted from the user pool;
         *     every task they own is deleted (its assignee gets 404 for it); they are removed as
         *     assignee from every task shared with them (the owner keeps it, with `assignee: null`).
         *     A token issued before the request stays valid until it expires (at most 60 minutes);
         *     what it creates meanwhile is deleted by a final pass 65 minutes after the request.
         *     No body and no parameters: only the caller's own account can be deleted. Export
         *     first: every page of `GET /tasks?scope=owned` and `GET /tasks?scope=assigned`.
         *     Locally (`make dev`) the local caller's tasks and assignments are removed in the
         *     request itself.
         */
        delete: operations["deleteAccount"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /**
         * @description Where a task is in its life.
         * @enum {string}
         */
        Status: "pending" | "in_progress" | "completed";
        /**
         * @description How urgent a task is.
         * @enum {string}
         */
        Priority: "low" | "medium" | "high";
        /**
         * @description At most ten distinct tags, kept in the order given. Uppercase, duplicates or more than ten are refused (400), not repaired.
         * @example [
         *       "work",
         *       "q4-report"
         *     ]
         */
        Tags: string[];
        /**
         * @description A user id as the authorizer gives it (the Cognito `sub`): 1 to 128 characters (Unicode
         *     scalar values), none of them white space (Unicode `White_Space`) or a control character
         *     (Cc); never trimmed. The API never looks users up: any well-formed id is accepted.
         * @example b7e2d4c1-9f3a-4e6b-8d25-61a0c3f9e7d2
         */
        UserId: string;
        /**
         * @description The one other user the task is shared with (a `UserId`), or `null`: not shared. It may
         *     not be the caller's own id (400). Its owner sets it to another user or `null`; its
         *     assignee may only set it to `null` (decline the task).
         */
        Assignee: components["schemas"]["UserId"] | null;
        /**
         * @description A task as the API returns it. Every field is always present.
         * @example {
         *       "taskId": "05cd1cdc-8d61-4396-9b52-47166a6e3e0e",
         *       "title": "Write report",
         *       "description": "",
         *       "status": "pending",
         *       "priority": "high",
         *       "dueDate": "2030-01-01T08:00:00.000Z",
         *       "remindAt": null,
         *       "tags": [
         *         "work"
         *       ],
         *       "createdAt": "2026-11-21T23:22:17.547Z",
         *       "updatedAt": "2026-11-21T23:22:17.547Z",
         *       "completedAt": null,
         *       "version": 1,
         *       "ownerId": "3f1c9a7e-52d4-4b8e-9a61-0c2d7e5b8f14",
         *       "assignee": null
         *     }
         */
        Task: {
            /**
             * Format: uuid
             * @description Assigned by the server (UUID v4), always lowercase.
             */
            taskId: string;
            /** @description Trimmed of surrounding white space; no control characters. */
            title: string;
            /** @description `""` when none was given; may hold line breaks. */
            description: string;
            status: components["schemas"]["Status"];
            priority: components["schemas"]["Priority"];
            /**
             * Format: date-time
             * @description In UTC with milliseconds, such as `2030-01-01T08:00:00.000Z`; `null` when there is none.
             */
            dueDate: string | null;
            /**
             * Format: date-time
             * @description When the owner and the assignee are reminded, in UTC with milliseconds; `null` when there is no reminder.
             */
            remindAt: string | null;
            tags: components["schemas"]["Tags"];
            /**
             * Format: date-time
             * @description In UTC with milliseconds; set once.
             */
            createdAt: string;
            /**
             * Format: date-time
             * @description In UTC with milliseconds; set on every change.
             */
            updatedAt: string;
            /**
             * Format: date-time
             * @description Set when `status` becomes `completed` (kept if a completed task is completed again); `null` otherwise.
             */
            completedAt: string | null;
            /** @description 1 on create, +1 on every change; also sent as the `ETag` header, `"<version>"`. */
            version: number;
            /** @description The caller who created the task (their `sub`); it never changes. */
            readonly ownerId: string;
            assignee: components["schemas"]["Assignee"];
        };
        /**
         * @description 1 to 200 characters (Unicode scalar values) after the server trims surrounding white
         *     space, so a blank or whitespace-only title is refused (400). Nowhere in it: control
         *     characters (Cc; a tab or line break may only surround the title, where it is trimmed
         *     away), format characters (Cf, such as the right-to-left override U+202E or the
         *     zero-width space U+200B, which can make a title read as something it is not), and
         *     the line and paragraph separators (U+2028, U+2029).
         */
        Title: string;
        /**
         * @description At most 2000 characters (Unicode scalar values), without NUL; line breaks are allowed. The 16 KiB
         *     limit on the whole body still applies to its bytes: 2000 characters outside the Basic
         *     Multilingual Plane, or written as `\u` escapes, can take the body over it (413).
         */
        Description: string;
        /**
         * Format: date-time
         * @description An RFC 3339 date-time with an offset (`Z` or `+02:00`); stored and returned in UTC with
         *     milliseconds (finer digits are dropped). A date alone or a time without an offset is
         *     refused. `null` clears it.
         */
        DueDate: string | null;
        /**
         * Format: date-time
         * @description When to remind the task's owner and assignee: an RFC 3339 date-time with an offset,
         *     later than the moment of the request (else 400), stored and returned in UTC with
         *     milliseconds. Only the owner sets it (the assignee gets 403). Independent of
         *     `dueDate`: a client offers "an hour before the due date" by computing the time itself.
         *     A reminder is delivered once, within two minutes of its time, unless the task was
         *     completed, deleted or given another `remindAt` by then. `null` clears it.
         */
        RemindAt: string | null;
        /**
         * @description The body of `POST /tasks`.
         * @example {
         *       "title": "Write report",
         *       "priority": "high",
         *       "dueDate": "2030-01-01T09:00:00+01:00",
         *       "tags": [
         *         "work"
         *       ]
         *     }
         */
        NewTask: {
            title: components["schemas"]["Title"];
            description?: components["schemas"]["Description"];
            status?: components["schemas"]["Status"];
            priority?: components["schemas"]["Priority"];
            dueDate?: components["schemas"]["DueDate"];
            remindAt?: components["schemas"]["RemindAt"];
            tags?: components["schemas"]["Tags"];
            assignee?: components["schemas"]["Assignee"];
        };
        /**
         * @description The body of `PUT` and `PATCH /tasks/{taskId}`; at least one field.
         * @example {
         *       "status": "completed",
         *       "dueDate": null
         *     }
         */
        TaskChanges: {
            title?: components["schemas"]["Title"];
            description?: components["schemas"]["Description"];
            status?: components["schemas"]["Status"];
            priority?: components["schemas"]["Priority"];
            dueDate?: components["schemas"]["DueDate"];
            remindAt?: components["schemas"]["RemindAt"];
            tags?: components["schemas"]["Tags"];
            assignee?: components["schemas"]["Assignee"];
        };
        /** @description The envelope of create and update. */
        TaskMessage: {
            /** @enum {string} */
            message: "Task created successfully" | "Task updated successfully";
            task: components["schemas"]["Task"];
        };
        /** @description The envelope of `GET /tasks/{taskId}`. */
        TaskEnvelope: {
            task: components["schemas"]["Task"];
        };
        /** @description One page of a listing. */
        TaskList: {
            tasks: components["schemas"]["Task"][];
            /** @description The number of tasks in this page. */
            count: number;
            /** @description Present only when there may be more; pass it back as the `nextToken` query parameter (with the same `status`). */
            nextToken?: string;
        };
        /** @description The answer to `DELETE /account`. */
        AccountDeletion: {
            /** @constant */
            status: "deleting";
        };
        /** @description The answer to a delete. */
        Deleted: {
            /** @constant */
            message: "Task deleted successfully";
            /** Format: uuid */
            taskId: string;
        };
        FieldError: {
            /** @description A body field (`tags[2]` for one tag), a query parameter, a header (`If-Match`, `Idempotency-Key`) or `taskId`. */
            field: string;
            message: string;
        };
        /** @description An RFC 9457 problem. `type` is a stable URI per kind of error (see docs/problems.md); `detail` is for people, never parse it. */
        Problem: {
            /**
             * Format: uri
             * @description The stack's `ProblemTypeBaseUrl` followed by the kind, such as `validation-error`.
             * @example https://task-api.example/problems/validation-error
             */
            type: string;
            title: string;
            status: number;
            detail: string;
            /** @description The Lambda request id, on every log line of this request. */
            instance: string;
            /** @description Present for `validation-error` (every bad field once) and for a `forbidden` update (every field the caller may not change). */
            errors?: components["schemas"]["FieldError"][];
        };
    };
    responses: {
        /** @description The task after the change; its new version is also in `ETag`. */
        Updated: {
            headers: {
                ETag: components["headers"]["ETag"];
                "Access-Control-Allow-Origin": components["headers"]["AccessControlAllowOrigin"];
                "Access-Control-Expose-Headers": components["headers"]["AccessControlExposeHeaders"];
                "Cache-Control": components["headers"]["CacheControl"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "message": "Task updated successfully",
                 *       "task": {
                 *         "taskId": "05cd1cdc-8d61-4396-9b52-47166a6e3e0e",
                 *         "title": "Write report",
                 *         "description": "",
                 *         "status": "completed",
                 *         "priority": "high",
                 *         "dueDate": null,
                 *         "tags": [
                 *           "work"
                 *         ],
                 *         "createdAt": "2026-11-21T23:22:17.547Z",
                 *         "updatedAt": "2026-11-21T23:22:23.395Z",
                 *         "completedAt": "2026-11-21T23:22:23.395Z",
                 *         "version": 2,
                 *         "ownerId": "3f1c9a7e-52d4-4b8e-9a61-0c2d7e5b8f14",
                 *         "assignee": "b7e2d4c1-9f3a-4e6b-8d25-61a0c3f9e7d2"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["TaskMessage"];
            };
        };
        /**
         * @description `invalid-body`: the body is missing or blank where one is required, is not valid JSON,
         *     is not a JSON object, or is an update that holds no field.
         *     `validation-error`: one or more invalid or unknown fields, query parameters, headers
         *     (`If-Match`, `Idempotency-Key`) or a `taskId` that is not a UUID; `errors` lists every
         *     bad one once (`tags[2]` for one tag).
         */
        BadRequest: {
            headers: {
                "Access-Control-Allow-Origin": components["headers"]["AccessControlAllowOrigin"];
                "Access-Control-Expose-Headers": components["headers"]["AccessControlExposeHeaders"];
                "Cache-Control": components["headers"]["CacheControl"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "https://task-api.example/problems/validation-error",
                 *       "title": "Validation failed",
                 *       "status": 400,
                 *       "detail": "status must be one of pending, in_progress, completed; title must be 1 to 200 characters",
                 *       "instance": "fea7a327-6c1e-4b0e-9d2a-3c4f5e6a7b8c",
                 *       "errors": [
                 *         {
                 *           "field": "status",
                 *           "message": "must be one of pending, in_progress, completed"
                 *         },
                 *         {
                 *           "field": "title",
                 *           "message": "must be 1 to 200 characters"
                 *         }
                 *       ]
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description `unauthenticated`: no authenticated caller. In AWS, API Gateway's Cognito authorizer
         *     usually refuses first (missing, invalid or expired token); its answer is the same
         *     problem+json with the same CORS headers (template.yaml's gateway responses), with
         *     API Gateway's own message as `detail`. Never returned locally.
         */
        Unauthorized: {
            headers: {
                "Access-Control-Allow-Origin": components["headers"]["AccessControlAllowOrigin"];
                "Access-Control-Expose-Headers": components["headers"]["AccessControlExposeHeaders"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "https://task-api.example/problems/unauthenticated",
                 *       "title": "Authentication required",
                 *       "status": 401,
                 *       "detail": "the request carries no authenticated caller",
                 *       "instance": "4286fbfb-c1a5-4a53-b27f-a77dadaaff11"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description `forbidden`: the caller is the task's assignee, who may see it but not do this to it:
         *     change a field other than `status`, set `assignee` to anything but `null`, or delete it.
         *     For an update, `errors` names each field of the body that the caller may not change;
         *     nothing of the request is applied. Only a task's assignee ever gets it (its owner may do
         *     everything, anyone else gets 404).
         */
        Forbidden: {
            headers: {
                "Access-Control-Allow-Origin": components["headers"]["AccessControlAllowOrigin"];
                "Access-Control-Expose-Headers": components["headers"]["AccessControlExposeHeaders"];
                "Cache-Control": components["headers"]["CacheControl"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "https://task-api.example/problems/forbidden",
                 *       "title": "Forbidden",
                 *       "status": 403,
                 *       "detail": "as the task's assignee you may change its status or decline it; not title; nothing was changed",
                 *       "instance": "6b2a8d0e-5c9d-4e7f-8a3b-2c1d0e9f8a7b",
                 *       "errors": [
                 *         {
                 *           "field": "title",
                 *           "message": "may only be changed by the task's owner"
                 *         }
                 *       ]
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description `not-found`: the caller neither owns nor is assigned a task with this id (also when
         *     another caller has one, so that existence is not leaked, for the previous assignee of a
         *     task that was reassigned, cleared or declined, and for a second delete).
         */
        NotFound: {
            headers: {
                "Access-Control-Allow-Origin": components["headers"]["AccessControlAllowOrigin"];
                "Access-Control-Expose-Headers": components["headers"]["AccessControlExposeHeaders"];
                "Cache-Control": components["headers"]["CacheControl"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "https://task-api.example/problems/not-found",
                 *       "title": "Task not found",
                 *       "status": 404,
                 *       "detail": "there is no task with this id for this caller",
                 *       "instance": "4286fbfb-c1a5-4a53-b27f-a77dadaaff11"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description `method-not-allowed`: the method is not served on this path (for example `PUT /tasks`
         *     or `POST /tasks/{taskId}`). Not a response of any operation above: it is what every
         *     *other* method on `/tasks` and `/tasks/{taskId}` gets.
         */
        MethodNotAllowed: {
            headers: {
                /**
                 * @description The methods served on this path.
                 * @example GET, POST
                 */
                Allow: "GET, POST" | "GET, PUT, PATCH, DELETE";
                "Access-Control-Allow-Origin": components["headers"]["AccessControlAllowOrigin"];
                "Access-Control-Expose-Headers": components["headers"]["AccessControlExposeHeaders"];
                "Cache-Control": components["headers"]["CacheControl"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "https://task-api.example/problems/method-not-allowed",
                 *       "title": "Method not allowed",
                 *       "status": 405,
                 *       "detail": "this path serves GET, POST",
                 *       "instance": "3bbccd7a-6b30-411a-b322-cd736ba86337"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description `precondition-failed`: `If-Match` names another version than the current one. `ETag`
         *     carries the current version: fetch the task (or use this tag) and retry.
         */
        PreconditionFailed: {
            headers: {
                ETag: components["headers"]["ETag"];
                "Access-Control-Allow-Origin": components["headers"]["AccessControlAllowOrigin"];
                "Access-Control-Expose-Headers": components["headers"]["AccessControlExposeHeaders"];
                "Cache-Control": components["headers"]["CacheControl"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "https://task-api.example/problems/precondition-failed",
                 *       "title": "Precondition failed",
                 *       "status": 412,
                 *       "detail": "the task is at version 2; fetch it and retry with If-Match: \"2\"",
                 *       "instance": "0b6a2f4e-9c3d-4e1f-8a7b-6c5d4e3f2a1b"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description `payload-too-large`: the body is over 16 KiB (16384 bytes). */
        PayloadTooLarge: {
            headers: {
                "Access-Control-Allow-Origin": components["headers"]["AccessControlAllowOrigin"];
                "Access-Control-Expose-Headers": components["headers"]["AccessControlExposeHeaders"];
                "Cache-Control": components["headers"]["CacheControl"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "https://task-api.example/problems/payload-too-large",
                 *       "title": "Payload too large",
                 *       "status": 413,
                 *       "detail": "the body must be at most 16384 bytes",
                 *       "instance": "1c7b3e5f-0d4e-4f2a-9b8c-7d6e5f4a3b2c"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description `unsupported-media-type`: a non-empty body sent with a content type that is not JSON
         *     (`application/json` and `application/*+json` are accepted; no content type is read as
         *     JSON).
         */
        UnsupportedMediaType: {
            headers: {
                "Access-Control-Allow-Origin": components["headers"]["AccessControlAllowOrigin"];
                "Access-Control-Expose-Headers": components["headers"]["AccessControlExposeHeaders"];
                "Cache-Control": components["headers"]["CacheControl"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "https://task-api.example/problems/unsupported-media-type",
                 *       "title": "Unsupported media type",
                 *       "status": 415,
                 *       "detail": "the body must be sent as application/json",
                 *       "instance": "2d8c4f6a-1e5f-4a3b-8c9d-8e7f6a5b4c3d"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description `idempotency-key-reused`: this `Idempotency-Key` was first used by this caller with a different body. */
        IdempotencyKeyReused: {
            headers: {
                "Access-Control-Allow-Origin": components["headers"]["AccessControlAllowOrigin"];
                "Access-Control-Expose-Headers": components["headers"]["AccessControlExposeHeaders"];
                "Cache-Control": components["headers"]["CacheControl"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "https://task-api.example/problems/idempotency-key-reused",
                 *       "title": "Idempotency key reused",
                 *       "status": 422,
                 *       "detail": "this Idempotency-Key was first used with a different body; use a new key",
                 *       "instance": "3e9d5a7b-2f6a-4b4c-9d0e-9f8a7b6c5d4e"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description `task-limit-reached`: the caller already owns as many tasks as the stack allows (`MaxTasksPerOwner`); nothing was created. */
        TaskLimitReached: {
            headers: {
                "Access-Control-Allow-Origin": components["headers"]["AccessControlAllowOrigin"];
                "Access-Control-Expose-Headers": components["headers"]["AccessControlExposeHeaders"];
                "Cache-Control": components["headers"]["CacheControl"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "https://task-api.example/problems/task-limit-reached",
                 *       "title": "Task limit reached",
                 *       "status": 409,
                 *       "detail": "you already have 10000 tasks, the most this service keeps for one user; delete some to create more",
                 *       "instance": "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description `rate-limited`: API Gateway throttled the request (stage rate and burst limits, or an
         *     API key's usage plan quota), before any function ran. Retry later. Never returned
         *     locally.
         */
        TooManyRequests: {
            headers: {
                "Access-Control-Allow-Origin": components["headers"]["AccessControlAllowOrigin"];
                "Access-Control-Expose-Headers": components["headers"]["AccessControlExposeHeaders"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "https://task-api.example/problems/rate-limited",
                 *       "title": "Too many requests",
                 *       "status": 429,
                 *       "detail": "the API is receiving too many requests; retry later",
                 *       "instance": "0b5a8d7e-1c2f-4e3a-9b8d-7c6e5f4a3b2c"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description `internal-error`: anything unexpected. Generic detail only; the cause is in the log under `instance`. */
        InternalError: {
            headers: {
                "Access-Control-Allow-Origin": components["headers"]["AccessControlAllowOrigin"];
                "Access-Control-Expose-Headers": components["headers"]["AccessControlExposeHeaders"];
                "Cache-Control": components["headers"]["CacheControl"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "https://task-api.example/problems/internal-error",
                 *       "title": "Internal error",
                 *       "status": 500,
                 *       "detail": "an unexpected error occurred",
                 *       "instance": "4f0e6b8c-3a7b-4c5d-8e1f-0a9b8c7d6e5f"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description `service-unavailable`: DynamoDB throttled or unreachable after retries. Retry after `Retry-After` seconds. */
        ServiceUnavailable: {
            headers: {
                /**
                 * @description Seconds to wait before retrying.
                 * @example 1
                 */
                "Retry-After": number;
                "Access-Control-Allow-Origin": components["headers"]["AccessControlAllowOrigin"];
                "Access-Control-Expose-Headers": components["headers"]["AccessControlExposeHeaders"];
                "Cache-Control": components["headers"]["CacheControl"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "https://task-api.example/problems/service-unavailable",
                 *       "title": "Service unavailable",
                 *       "status": 503,
                 *       "detail": "the service is temporarily unavailable; retry later",
                 *       "instance": "5a1f7c9d-4b8c-4d6e-9f2a-1b0c9d8e7f6a"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
    };
    parameters: {
        /**
         * @description The task's id, a UUID. Matched case-insensitively (ids are always returned lowercase);
         *     the other spellings of a UUID (32 hex digits without hyphens, `{...}`, `urn:uuid:...`)
         *     are accepted too. Anything that is not a UUID gives 400 (`validation-error`, field
         *     `taskId`).
         * @example 05cd1cdc-8d61-4396-9b52-47166a6e3e0e
         */
        TaskId: string;
        /**
         * @description Whose tasks: `owned` (the default; the same as no `scope`), the caller's own tasks,
         *     shared or not; `assigned`, the tasks other users assigned to the caller. Any other value
         *     gives 400 (`validation-error`, field `scope`).
         * @example assigned
         */
        Scope: "owned" | "assigned";
        /** @description Only tasks with this status. */
        StatusFilter: components["schemas"]["Status"];
        /** @description Page size, 1 to 100. */
        Limit: number;
        /**
         * @description Opaque: the `nextToken` of the previous page, passed back unchanged with the same
         *     `status` filter. Any other value (altered, forged, from another caller or from another
         *     filter) gives 400 (`validation-error`, field `nextToken`). Tokens do not expire, but
         *     rotating the server's signing secret invalidates all of them.
         */
        NextToken: string;
        /**
         * @description One strong entity tag as sent in `ETag`, such as `"3"`, or `*` (any existing task).
         *     Weak tags (`W/"3"`), lists and anything else give 400 (`validation-error`, field
         *     `If-Match`). A tag that names another version than the current one gives 412.
         * @example "1"
         */
        IfMatch: "*" | string;
        /**
         * @description 1 to 255 visible ASCII characters chosen by the client (a UUID is a good choice),
         *     remembered for 24 hours per caller. Anything else gives 400 (`validation-error`, field
         *     `Idempotency-Key`).
         * @example 7b0e4c1e-2a51-4a8f-9d61-3f0c5e2b9a10
         */
        IdempotencyKey: string;
    };
    requestBodies: {
        /** @description One or more writable fields; absent fields stay as they are. */
        TaskChanges: {
            content: {
                "application/json": components["schemas"]["TaskChanges"];
            };
        };
    };
    headers: {
        /**
         * @description The task's `version` as a strong entity tag, `"<version>"`.
         * @example "1"
         */
        ETag: string;
        /**
         * @description The stack's `CorsAllowOrigin`, `*` by default.
         * @example *
         */
        AccessControlAllowOrigin: string;
        /**
         * @description Always `ETag, Location, Retry-After, Idempotent-Replayed`.
         * @example ETag, Location, Retry-After, Idempotent-Replayed
         */
        AccessControlExposeHeaders: string;
        /**
         * @description As on every function response; absent when API Gateway answers by itself.
         * @example *
         */
        AccessControlAllowOriginOptional: string;
        /**
         * @description As on every function response; absent when API Gateway answers by itself.
         * @example ETag, Location, Retry-After, Idempotent-Replayed
         */
        AccessControlExposeHeadersOptional: string;
        /**
         * @description Always `no-store` (responses hold one caller's private data).
         * @example no-store
         */
        CacheControl: string;
    };
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    listTasks: {
        parameters: {
            query?: {
                /**
                 * @description Whose tasks: `owned` (the default; the same as no `scope`), the caller's own tasks,
                 *     shared or not; `assigned`, the tasks other users assigned to the caller. Any other value
                 *     gives 400 (`validation-error`, field `scope`).
                 * @example assigned
                 */
                scope?: components["parameters"]["Scope"];
                /** @description Only tasks with this status. */
                status?: components["parameters"]["StatusFilter"];
                /** @description Page size, 1 to 100. */
                limit?: components["parameters"]["Limit"];
                /**
                 * @description Opaque: the `nextToken` of the previous page, passed back unchanged with the same
                 *     `status` filter. Any other value (altered, forged, from another caller or from another
                 *     filter) gives 400 (`validation-error`, field `nextToken`). Tokens do not expire, but
                 *     rotating the server's signing secret invalidates all of them.
                 */
                nextToken?: components["parameters"]["NextToken"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page of tasks. `nextToken` is present only when there may be more. */
            200: {
                headers: {
                    "Access-Control-Allow-Origin": components["headers"]["AccessControlAllowOrigin"];
                    "Access-Control-Expose-Headers": components["headers"]["AccessControlExposeHeaders"];
                    "Cache-Control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "tasks": [
                     *         {
                     *           "taskId": "05cd1cdc-8d61-4396-9b52-47166a6e3e0e",
                     *           "title": "Write report",
                     *           "description": "",
                     *           "status": "pending",
                     *           "priority": "high",
                     *           "dueDate": "2030-01-01T08:00:00.000Z",
                     *           "remindAt": null,
                     *           "tags": [
                     *             "work"
                     *           ],
                     *           "createdAt": "2026-11-21T23:22:17.547Z",
                     *           "updatedAt": "2026-11-21T23:22:17.547Z",
                     *           "completedAt": null,
                     *           "version": 1,
                     *           "ownerId": "3f1c9a7e-52d4-4b8e-9a61-0c2d7e5b8f14",
                     *           "assignee": null
                     *         }
                     *       ],
                     *       "count": 1,
                     *       "nextToken": "MjAyNi0xMS0yMVQyMzoyMjoxNy41NDdafDA1Y2QxY2RjLThkNjEtNDM5Ni05YjUyLTQ3MTY2YTZlM2UwZQ.qH0dGfRk3lEJ8XJ0oWnJxj2Vb0vQy9mYdX6pC1hLw1c"
                     *     }
                     */
                    "application/json": components["schemas"]["TaskList"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    createTask: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description 1 to 255 visible ASCII characters chosen by the client (a UUID is a good choice),
                 *     remembered for 24 hours per caller. Anything else gives 400 (`validation-error`, field
                 *     `Idempotency-Key`).
                 * @example 7b0e4c1e-2a51-4a8f-9d61-3f0c5e2b9a10
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        /** @description The new task. `title` is required. */
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "title": "Write report",
                 *       "priority": "high",
                 *       "dueDate": "2030-01-01T09:00:00+01:00",
                 *       "tags": [
                 *         "work"
                 *       ]
                 *     }
                 */
                "application/json": components["schemas"]["NewTask"];
            };
        };
        responses: {
            /**
             * @description Created (or, with a reused `Idempotency-Key` and the same body, the task that the
             *     first request created, with `Idempotent-Replayed: true`).
             */
            201: {
                headers: {
                    /**
                     * @description Path of the new task, `/tasks/{taskId}` (relative to the host).
                     * @example /tasks/05cd1cdc-8d61-4396-9b52-47166a6e3e0e
                     */
                    Location: string;
                    ETag: components["headers"]["ETag"];
                    /** @description Present, with the value `true`, only when this answer replays the creation of an earlier request with the same `Idempotency-Key`. */
                    "Idempotent-Replayed"?: "true";
                    "Access-Control-Allow-Origin": components["headers"]["AccessControlAllowOrigin"];
                    "Access-Control-Expose-Headers": components["headers"]["AccessControlExposeHeaders"];
                    "Cache-Control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "message": "Task created successfully",
                     *       "task": {
                     *         "taskId": "05cd1cdc-8d61-4396-9b52-47166a6e3e0e",
                     *         "title": "Write report",
                     *         "description": "",
                     *         "status": "pending",
                     *         "priority": "high",
                     *         "dueDate": "2030-01-01T08:00:00.000Z",
                     *         "remindAt": null,
                     *         "tags": [
                     *           "work"
                     *         ],
                     *         "createdAt": "2026-11-21T23:22:17.547Z",
                     *         "updatedAt": "2026-11-21T23:22:17.547Z",
                     *         "completedAt": null,
                     *         "version": 1,
                     *         "ownerId": "3f1c9a7e-52d4-4b8e-9a61-0c2d7e5b8f14",
                     *         "assignee": null
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["TaskMessage"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            409: components["responses"]["TaskLimitReached"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["IdempotencyKeyReused"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getTask: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The task's id, a UUID. Matched case-insensitively (ids are always returned lowercase);
                 *     the other spellings of a UUID (32 hex digits without hyphens, `{...}`, `urn:uuid:...`)
                 *     are accepted too. Anything that is not a UUID gives 400 (`validation-error`, field
                 *     `taskId`).
                 * @example 05cd1cdc-8d61-4396-9b52-47166a6e3e0e
                 */
                taskId: components["parameters"]["TaskId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The task; its version is also in `ETag`. */
            200: {
                headers: {
                    ETag: components["headers"]["ETag"];
                    "Access-Control-Allow-Origin": components["headers"]["AccessControlAllowOrigin"];
                    "Access-Control-Expose-Headers": components["headers"]["AccessControlExposeHeaders"];
                    "Cache-Control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "task": {
                     *         "taskId": "05cd1cdc-8d61-4396-9b52-47166a6e3e0e",
                     *         "title": "Write report",
                     *         "description": "",
                     *         "status": "pending",
                     *         "priority": "high",
                     *         "dueDate": "2030-01-01T08:00:00.000Z",
                     *         "remindAt": null,
                     *         "tags": [
                     *           "work"
                     *         ],
                     *         "createdAt": "2026-11-21T23:22:17.547Z",
                     *         "updatedAt": "2026-11-21T23:22:17.547Z",
                     *         "completedAt": null,
                     *         "version": 1,
                     *         "ownerId": "3f1c9a7e-52d4-4b8e-9a61-0c2d7e5b8f14",
                     *         "assignee": null
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["TaskEnvelope"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    updateTask: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description One strong entity tag as sent in `ETag`, such as `"3"`, or `*` (any existing task).
                 *     Weak tags (`W/"3"`), lists and anything else give 400 (`validation-error`, field
                 *     `If-Match`). A tag that names another version than the current one gives 412.
                 * @example "1"
                 */
                "If-Match"?: components["parameters"]["IfMatch"];
            };
            path: {
                /**
                 * @description The task's id, a UUID. Matched case-insensitively (ids are always returned lowercase);
                 *     the other spellings of a UUID (32 hex digits without hyphens, `{...}`, `urn:uuid:...`)
                 *     are accepted too. Anything that is not a UUID gives 400 (`validation-error`, field
                 *     `taskId`).
                 * @example 05cd1cdc-8d61-4396-9b52-47166a6e3e0e
                 */
                taskId: components["parameters"]["TaskId"];
            };
            cookie?: never;
        };
        requestBody: components["requestBodies"]["TaskChanges"];
        responses: {
            200: components["responses"]["Updated"];
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            412: components["responses"]["PreconditionFailed"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    deleteTask: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description One strong entity tag as sent in `ETag`, such as `"3"`, or `*` (any existing task).
                 *     Weak tags (`W/"3"`), lists and anything else give 400 (`validation-error`, field
                 *     `If-Match`). A tag that names another version than the current one gives 412.
                 * @example "1"
                 */
                "If-Match"?: components["parameters"]["IfMatch"];
            };
            path: {
                /**
                 * @description The task's id, a UUID. Matched case-insensitively (ids are always returned lowercase);
                 *     the other spellings of a UUID (32 hex digits without hyphens, `{...}`, `urn:uuid:...`)
                 *     are accepted too. Anything that is not a UUID gives 400 (`validation-error`, field
                 *     `taskId`).
                 * @example 05cd1cdc-8d61-4396-9b52-47166a6e3e0e
                 */
                taskId: components["parameters"]["TaskId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted. */
            200: {
                headers: {
                    "Access-Control-Allow-Origin": components["headers"]["AccessControlAllowOrigin"];
                    "Access-Control-Expose-Headers": components["headers"]["AccessControlExposeHeaders"];
                    "Cache-Control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "message": "Task deleted successfully",
                     *       "taskId": "05cd1cdc-8d61-4396-9b52-47166a6e3e0e"
                     *     }
                     */
                    "application/json": components["schemas"]["Deleted"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            412: components["responses"]["PreconditionFailed"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    patchTask: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description One strong entity tag as sent in `ETag`, such as `"3"`, or `*` (any existing task).
                 *     Weak tags (`W/"3"`), lists and anything else give 400 (`validation-error`, field
                 *     `If-Match`). A tag that names another version than the current one gives 412.
                 * @example "1"
                 */
                "If-Match"?: components["parameters"]["IfMatch"];
            };
            path: {
                /**
                 * @description The task's id, a UUID. Matched case-insensitively (ids are always returned lowercase);
                 *     the other spellings of a UUID (32 hex digits without hyphens, `{...}`, `urn:uuid:...`)
                 *     are accepted too. Anything that is not a UUID gives 400 (`validation-error`, field
                 *     `taskId`).
                 * @example 05cd1cdc-8d61-4396-9b52-47166a6e3e0e
                 */
                taskId: components["parameters"]["TaskId"];
            };
            cookie?: never;
        };
        /** @description One or more writable fields; absent fields stay as they are (as for `PUT`). */
        requestBody: {
            content: {
                "application/json": components["schemas"]["TaskChanges"];
            };
        };
        responses: {
            200: components["responses"]["Updated"];
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            412: components["responses"]["PreconditionFailed"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    deleteAccount: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The deletion has started (or had started already). */
            202: {
                headers: {
                    "Access-Control-Allow-Origin": components["headers"]["AccessControlAllowOrigin"];
                    "Access-Control-Expose-Headers": components["headers"]["AccessControlExposeHeaders"];
                    "Cache-Control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "deleting"
                     *     }
                     */
                    "application/json": components["schemas"]["AccountDeletion"];
                };
            };
            401: components["responses"]["Unauthorized"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
}
