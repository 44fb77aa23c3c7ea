terraform {
  required_providers {
    btp = {
      source  = "SAP/btp"
      version = "~> 1.16"
    }
  }
}

provider "btp" {
  globalaccount = var.globalaccount
}
