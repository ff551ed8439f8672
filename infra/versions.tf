terraform {
  required_version = ">= 1.6"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region

  # The Firebase Rules API refuses calls that carry no quota project, which is what user
  # credentials (gcloud auth application-default login) send unless the provider names one.
  user_project_override = true
  billing_project       = var.project_id
}
