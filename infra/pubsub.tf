data "google_project" "this" {
  project_id = var.project_id
}

locals {
  pubsub_service_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

# The platform publishes session events here; platformEventsPubSub receives them through Eventarc.
resource "google_pubsub_topic" "platform_events" {
  name = "platform-events"

  depends_on = [google_project_service.required["pubsub.googleapis.com"]]
}

# Where messages go once they have failed too often, so that one bad message cannot be retried forever.
#
# Eventarc creates and owns the subscription behind the function's trigger, and neither
# google_cloudfunctions2_function nor google_eventarc_trigger (its transport.pubsub block only names
# the topic) can set a dead-letter policy on it. So dead-lettering is switched on once after the
# trigger exists, on that subscription: `gcloud pubsub subscriptions update <subscription>
# --dead-letter-topic=platform-events-dead-letter --max-delivery-attempts=10` (README.md, "After the
# first apply"), and again whenever the trigger is recreated. Until then RETRY_POLICY_RETRY redelivers
# a failing message until the subscription's retention runs out.
resource "google_pubsub_topic" "platform_events_dead_letter" {
  name = "platform-events-dead-letter"

  depends_on = [google_project_service.required["pubsub.googleapis.com"]]
}

# A topic keeps nothing by itself: without a subscription, dead-lettered messages would be lost.
# Nobody consumes it; people pull from it to see what failed, and replay by hand.
resource "google_pubsub_subscription" "platform_events_dead_letter" {
  name  = "platform-events-dead-letter-inspection"
  topic = google_pubsub_topic.platform_events_dead_letter.id

  message_retention_duration = "604800s" # 7 days, the time to notice and inspect a failure
  ack_deadline_seconds       = 60

  # An unused subscription otherwise expires after 31 days, and this one is meant to sit idle.
  expiration_policy {
    ttl = ""
  }
}

# Dead-lettering is done by the Pub/Sub service agent, which must be allowed to publish to the
# dead-letter topic (and to subscribe to the source subscription: README.md, "After the first apply").
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  topic  = google_pubsub_topic.platform_events_dead_letter.id
  role   = "roles/pubsub.publisher"
  member = local.pubsub_service_agent
}

# Commands from Switchboard to the platform (listen in, barge, end a session), published by the api.
# The topic keeps every message 7 days, so that a subscription attached later (or after an outage)
# can seek back and receive commands published before it existed.
resource "google_pubsub_topic" "platform_commands" {
  name = "platform-commands"

  message_retention_duration = "604800s"

  depends_on = [google_project_service.required["pubsub.googleapis.com"]]
}

# The platform's pull subscription, for when it consumes from here rather than from a subscription in
# its own project (README.md, "Platform commands").
resource "google_pubsub_subscription" "platform_commands_platform" {
  name  = "platform-commands-platform"
  topic = google_pubsub_topic.platform_commands.id

  message_retention_duration = "604800s"
  ack_deadline_seconds       = 60

  # Idle while the platform is down or not yet connected: it must not expire after 31 days.
  expiration_policy {
    ttl = ""
  }
}

resource "google_pubsub_subscription_iam_member" "platform_commands_subscribers" {
  for_each = toset(var.platform_commands_subscribers)

  subscription = google_pubsub_subscription.platform_commands_platform.name
  role         = "roles/pubsub.subscriber"
  member       = each.value
}

# The sweeper's hourly tick, published by Cloud Scheduler (recordings.tf) and received by the sweeper
# through Eventarc. A tick carries nothing: every sweep looks at everything that is due.
resource "google_pubsub_topic" "sweeper_ticks" {
  name = "sweeper-ticks"

  depends_on = [google_project_service.required["pubsub.googleapis.com"]]
}
