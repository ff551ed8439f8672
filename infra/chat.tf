# Live chat, the agent's side (LCH-1 … LCH-10). When the platform assigns a chat, platformEvents (or
# platformEventsPubSub) offers it to the agent and schedules the offer's timeout as a task on the
# `chat-offers` queue, named for the offer; the api schedules the offers of transfers and conferences
# the same way. Cloud Tasks calls platformEvents' /v1/tasks/chat-offer-timeout with an OIDC token of
# `chat-tasks`, which the code checks (platformEvents is public at the Cloud Run level for the
# platform's signed requests). Offers, re-routing and the agents' states go to the platform on
# platform-commands.

locals {
  # The handler's URL: where the tasks go and the audience of their tokens, which the handler checks;
  # computed like recording_worker_url (recordings.tf), and compared with the real URL below.
  chat_offer_timeout_url = "https://${var.region}-${var.project_id}.cloudfunctions.net/platform-events/v1/tasks/chat-offer-timeout"

  chat_environment = {
    CHAT_OFFERS_QUEUE          = google_cloud_tasks_queue.chat_offers.id
    CHAT_OFFER_TIMEOUT_URL     = local.chat_offer_timeout_url
    CHAT_TASKS_SERVICE_ACCOUNT = google_service_account.chat_tasks.email
    PLATFORM_COMMANDS_TOPIC    = google_pubsub_topic.platform_commands.name
  }

  # The runtime accounts that offer chats, and so schedule timeouts and publish commands.
  chat_task_creators = {
    platform_events        = google_service_account.platform_events_runtime.email
    platform_events_pubsub = google_service_account.platform_events_pubsub_runtime.email
    api                    = google_service_account.api_runtime.email
  }
}

check "chat_offer_timeout_url" {
  assert {
    condition     = "${google_cloudfunctions2_function.platform_events.url}/v1/tasks/chat-offer-timeout" == local.chat_offer_timeout_url
    error_message = "platformEvents' URL is not the one local.chat_offer_timeout_url is computed from: offers' timeouts would go to, and their tokens be minted for, the wrong URL (chat.tf)."
  }
}

resource "google_cloud_tasks_queue" "chat_offers" {
  name     = "chat-offers"
  location = var.region

  retry_config {
    # A timeout that cannot run leaves an offer open: retried quickly, for up to an hour.
    max_attempts       = -1
    max_retry_duration = "3600s"
    min_backoff        = "1s"
    max_backoff        = "60s"
    max_doublings      = 6
  }

  stackdriver_logging_config {
    sampling_ratio = 1.0
  }

  depends_on = [google_project_service.required["cloudtasks.googleapis.com"]]
}

# The identity in the OIDC token of every offer timeout. It holds no role: platformEvents checks the
# token itself.
resource "google_service_account" "chat_tasks" {
  account_id   = "chat-tasks"
  display_name = "Cloud Tasks calling platformEvents with live chat offers' timeouts"

  depends_on = [google_project_service.required["iam.googleapis.com"]]
}

resource "google_cloud_tasks_queue_iam_member" "chat_task_creators" {
  for_each = local.chat_task_creators

  project  = var.project_id
  location = google_cloud_tasks_queue.chat_offers.location
  name     = google_cloud_tasks_queue.chat_offers.name
  role     = "roles/cloudtasks.enqueuer"
  member   = "serviceAccount:${each.value}"
}

# Creating a task whose OIDC token names chat-tasks needs iam.serviceAccounts.actAs on it.
resource "google_service_account_iam_member" "chat_task_creators" {
  for_each = local.chat_task_creators

  service_account_id = google_service_account.chat_tasks.name
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${each.value}"
}

# Both platform event entry points tell the platform to re-route an offer not taken, and an agent's
# state; granted on the one topic.
resource "google_pubsub_topic_iam_member" "chat_commands_publishers" {
  for_each = {
    platform_events        = google_service_account.platform_events_runtime.email
    platform_events_pubsub = google_service_account.platform_events_pubsub_runtime.email
  }

  topic  = google_pubsub_topic.platform_commands.id
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:${each.value}"
}
