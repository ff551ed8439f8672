output "platform_events_url" {
  description = "URL the platform calls (POST /v1/events, HMAC-signed)."
  value       = google_cloudfunctions2_function.platform_events.url
}

output "platform_events_pubsub_url" {
  description = "URL of platformEventsPubSub; only its Eventarc trigger may invoke it."
  value       = google_cloudfunctions2_function.platform_events_pubsub.url
}

output "api_url" {
  description = "Base URL of the REST API for people (Firebase Auth / Identity Platform ID tokens)."
  value       = google_cloudfunctions2_function.api.url
}

output "platform_events_trigger" {
  description = "Eventarc trigger of platformEventsPubSub (its subscription gets the dead-letter policy)."
  value       = google_cloudfunctions2_function.platform_events_pubsub.event_trigger[0].trigger
}

output "platform_events_topic" {
  description = "Topic the platform publishes session events to."
  value       = google_pubsub_topic.platform_events.id
}

output "platform_commands_topic" {
  description = "Topic the api publishes commands to the platform on (listen in, barge, end a session)."
  value       = google_pubsub_topic.platform_commands.id
}

output "platform_commands_subscription" {
  description = "Pull subscription of the platform on platform-commands, for platform_commands_subscribers."
  value       = google_pubsub_subscription.platform_commands_platform.id
}

output "dead_letter_subscription" {
  description = "Where messages that failed too often wait for inspection (7 days)."
  value       = google_pubsub_subscription.platform_events_dead_letter.id
}

output "function_source_bucket" {
  description = "Bucket holding the uploaded source archives."
  value       = google_storage_bucket.function_source.name
}

output "recordings_bucket" {
  description = "Bucket the platform writes call recordings to (objects deleted within 7 days)."
  value       = google_storage_bucket.recordings.name
}

output "recordings_queue" {
  description = "Cloud Tasks queue of the recording uploads (projects/…/locations/…/queues/recordings)."
  value       = google_cloud_tasks_queue.recordings.id
}

output "recording_worker_url" {
  description = "URL of recordingWorker; only the recording-tasks service account may invoke it."
  value       = google_cloudfunctions2_function.recording_worker.url
}
