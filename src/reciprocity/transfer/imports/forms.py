"""The import page's forms: the upload, and the mapping of each column to a field."""

from typing import Any

from django import forms

from reciprocity.transfer.imports.mapping import FIELDS, PRESETS
from reciprocity.transfer.imports.services import MAX_UPLOAD_MB

UPLOAD_HELP = f"A .csv, .xlsx or .vcf file of up to {MAX_UPLOAD_MB} MB."


class ImportUploadForm(forms.Form):
    file = forms.FileField(label="Partners file", help_text=UPLOAD_HELP)
    preset = forms.ChoiceField(
        label="Exported from",
        required=False,
        choices=[("", "Another spreadsheet (guess the columns)")]
        + [(slug, preset.title) for slug, preset in PRESETS.items()],
    )
    touches = forms.FileField(
        label="Touches file (optional)",
        required=False,
        help_text="Columns partner (id, email or name), date, kind and summary.",
    )


class ImportMappingForm(forms.Form):
    """One choice per column of the file: which field it fills, or none."""

    def __init__(self, *args: Any, header: list[str], mapping: dict[str, str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.header = header
        choices = [("", "Do not import"), *FIELDS.items()]
        for index, column in enumerate(header):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=column or f"Column {index + 1}",
                choices=choices,
                required=False,
                initial=mapping.get(column, ""),
            )

    def columns(self) -> dict[str, str]:
        return {
            column: self.cleaned_data[f"column_{index}"]
            for index, column in enumerate(self.header)
            if self.cleaned_data.get(f"column_{index}")
        }
