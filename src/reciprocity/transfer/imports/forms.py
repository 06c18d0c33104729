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


BAD_VALUE_LINE = (
    "Line {number}: write field: value in the file = slug, as in profession: Accountant = cpa."
)


class ImportMappingForm(forms.Form):
    """One choice per column of the file: which field it fills, or none; and value maps, one
    per line (``profession: Numbers person = cpa``)."""

    def __init__(
        self,
        *args: Any,
        header: list[str],
        mapping: dict[str, str],
        values: dict[str, dict[str, str]],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.header = header
        self.fields["values"] = forms.CharField(
            label="Value maps",
            required=False,
            widget=forms.Textarea(attrs={"rows": 3}),
            initial="\n".join(
                f"{field}: {source} = {slug}"
                for field, pairs in values.items()
                for source, slug in pairs.items()
            ),
            help_text="One per line, for values the import does not know: "
            "profession: Numbers person = cpa, or stage: Warm = qualified.",
        )
        choices = [("", "Do not import"), *FIELDS.items()]
        for index, column in enumerate(header):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=column or f"Column {index + 1}",
                choices=choices,
                required=False,
                initial=mapping.get(column, ""),
            )

    def clean_values(self) -> dict[str, dict[str, str]]:
        maps: dict[str, dict[str, str]] = {}
        for number, line in enumerate(self.cleaned_data["values"].splitlines(), start=1):
            if not line.strip():
                continue
            field, _, rest = line.partition(":")
            source, _, slug = rest.rpartition("=")
            if not (field.strip() and source.strip() and slug.strip()):
                raise forms.ValidationError(BAD_VALUE_LINE.format(number=number))
            maps.setdefault(field.strip(), {})[source.strip()] = slug.strip()
        return maps

    def columns(self) -> dict[str, str]:
        return {
            column: self.cleaned_data[f"column_{index}"]
            for index, column in enumerate(self.header)
            if self.cleaned_data.get(f"column_{index}")
        }
