// Package nnunet reads, writes and verifies nnU-Net v2 raw datasets
// (DatasetNNN_Name/{dataset.json, imagesTr, labelsTr, imagesTs}).
//
// Verify runs the checks of nnU-Net's own
// `nnUNetv2_plan_and_preprocess --verify_dataset_integrity` with its exact
// messages, because nnU-Net itself (torch, SimpleITK and packages no
// registry here serves) cannot run beside Delineate: an export is verified
// before it is reported done, and a user's error message is the one they
// will find when they search for it. Images are read with viewer/nifti.
package nnunet
