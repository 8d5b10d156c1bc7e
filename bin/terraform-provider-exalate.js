#!/usr/bin/env node
'use strict';
// The exalate Terraform provider (plugin protocol 6), started by Terraform.
require('../dist/terraform-provider-exalate.js');
